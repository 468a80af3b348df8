package dev.divergence.evaluation.api.provenance;

import dev.divergence.evaluation.api.metrics.RequestSizeLimitFilter;
import dev.divergence.evaluation.metrics.MetricsProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The provenance API's bodies are bounded by the same setting as the Metrics API's (and as every gRPC
 * message of the service, {@code divergence.grpc.max-inbound-message-bytes}): a larger body is 413
 * problem+json before it is parsed, rather than parsed and then rejected by the request's limits.
 */
@Configuration
public class ProvenanceWebConfiguration {

  @Bean
  FilterRegistrationBean<RequestSizeLimitFilter> provenanceRequestSizeLimit(MetricsProperties properties) {
    FilterRegistrationBean<RequestSizeLimitFilter> registration =
        new FilterRegistrationBean<>(new RequestSizeLimitFilter(properties.maxRequestBytes()));
    registration.addUrlPatterns("/api/v1/evaluation/provenance/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
    return registration;
  }
}
