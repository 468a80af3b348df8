package dev.divergence.inference.backend;

import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.modelserver.client.TritonClient;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * Readiness of the serving backend (embedded server or Triton): ServerReady through the client. Its
 * details name which server it is (the dashboard's system page shows them).
 */
@Component("servingBackend")
public class ServingBackendHealthIndicator extends AbstractHealthIndicator {

  private final TritonClient client;
  private final String server;
  private final String target;

  public ServingBackendHealthIndicator(TritonClient client, InferenceProperties properties) {
    super("serving backend is not reachable");
    this.client = client;
    boolean embedded = properties.embeddedServer().enabled();
    this.server = embedded ? "embedded" : "triton";
    this.target = embedded ? "in process" : properties.triton().target();
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.withDetail("server", server).withDetail("target", target);
    if (client.serverReady()) {
      builder.up();
    } else {
      builder.down().withDetail("reason", "ServerReady answered false");
    }
  }
}
