package dev.divergence.gateway.dashboard;

import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.multipart.support.MultipartFilter;

/**
 * The dashboard's file uploads (datasets) are multipart forms whose CSRF token is one of the parts:
 * they are parsed before Spring Security's filters look for the token, as Spring Security's
 * documentation advises, and only on the dashboard's own pages.
 */
@Configuration(proxyBeanMethods = false)
class DashboardMultipartConfiguration {

  /** Uploads as large as the edge lets any request be (the DispatcherServlet's multipart settings). */
  @Bean
  jakarta.servlet.MultipartConfigElement dashboardUploads(dev.divergence.gateway.auth.EdgeProperties edge) {
    long max = edge.maxRequestSize().toBytes();
    return new jakarta.servlet.MultipartConfigElement("", max, max, 1 << 20);
  }

  @Bean
  FilterRegistrationBean<MultipartFilter> dashboardMultipart() {
    FilterRegistrationBean<MultipartFilter> registration = new FilterRegistrationBean<>(new MultipartFilter());
    registration.addUrlPatterns("/ui/*");
    registration.setOrder(SecurityFilterProperties.DEFAULT_FILTER_ORDER - 10);
    return registration;
  }
}
