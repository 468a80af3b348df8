package dev.divergence.platform.grpc;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param port the gRPC port; 0 picks a free one (tests), a negative value disables the server
 * @param maxInboundMessageBytes large enough for full-vocabulary logits
 * @param shutdownGraceSeconds how long in-flight calls may finish on shutdown
 */
@ConfigurationProperties("divergence.grpc")
public record GrpcServerProperties(Integer port, Integer maxInboundMessageBytes, Integer shutdownGraceSeconds) {

  public GrpcServerProperties {
    port = port == null ? -1 : port;
    maxInboundMessageBytes = maxInboundMessageBytes == null ? 64 * 1024 * 1024 : maxInboundMessageBytes;
    shutdownGraceSeconds = shutdownGraceSeconds == null ? 10 : shutdownGraceSeconds;
  }

  public boolean enabled() {
    return port >= 0;
  }
}
