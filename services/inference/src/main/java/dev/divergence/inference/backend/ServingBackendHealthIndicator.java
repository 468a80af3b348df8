package dev.divergence.inference.backend;

import dev.divergence.modelserver.client.TritonClient;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** Readiness of the serving backend (embedded server or Triton): ServerReady through the client. */
@Component("servingBackend")
public class ServingBackendHealthIndicator extends AbstractHealthIndicator {

  private final TritonClient client;

  public ServingBackendHealthIndicator(TritonClient client) {
    super("serving backend is not reachable");
    this.client = client;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    if (client.serverReady()) {
      builder.up();
    } else {
      builder.down().withDetail("reason", "ServerReady answered false");
    }
  }
}
