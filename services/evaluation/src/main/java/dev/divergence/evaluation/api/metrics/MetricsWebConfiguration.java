package dev.divergence.evaluation.api.metrics;

import dev.divergence.evaluation.metrics.MetricsProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** The request-size limit of the Metrics API, after request ids are assigned so the 413 carries one. */
@Configuration
@EnableConfigurationProperties(MetricsProperties.class)
public class MetricsWebConfiguration {

  @Bean
  FilterRegistrationBean<RequestSizeLimitFilter> metricsRequestSizeLimit(MetricsProperties properties) {
    FilterRegistrationBean<RequestSizeLimitFilter> registration =
        new FilterRegistrationBean<>(new RequestSizeLimitFilter(properties.maxRequestBytes()));
    registration.addUrlPatterns("/api/v1/evaluation/metrics/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 20);
    return registration;
  }
}
