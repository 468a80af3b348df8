package dev.divergence.platform.grpc.client;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's clients of other services, by name: {@code divergence.clients.inference.target=localhost:9082}
 * (or the environment variable {@code DIVERGENCE_CLIENTS_INFERENCE_TARGET}).
 */
@ConfigurationProperties("divergence")
public record GrpcClientsProperties(Map<String, GrpcClientProperties> clients) {

  public GrpcClientsProperties {
    clients = clients == null ? Map.of() : Map.copyOf(clients);
  }
}
