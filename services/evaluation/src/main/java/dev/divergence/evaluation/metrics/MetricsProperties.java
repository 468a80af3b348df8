package dev.divergence.evaluation.metrics;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param maxRequestBytes the largest metrics request body accepted over REST (larger: 413); gRPC
 *     uses the server's {@code divergence.grpc.max-inbound-message-bytes}, set to the same value
 */
@ConfigurationProperties("divergence.evaluation.metrics")
public record MetricsProperties(Long maxRequestBytes) {

  public MetricsProperties {
    maxRequestBytes = maxRequestBytes == null ? 64L * 1024 * 1024 : maxRequestBytes;
  }
}
