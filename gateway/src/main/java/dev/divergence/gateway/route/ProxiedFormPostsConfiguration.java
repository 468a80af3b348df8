package dev.divergence.gateway.route;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.cloud.gateway.server.mvc.filter.FormFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Cloud Gateway's form filter (re-encodes a form POST's parameters as the body the proxy
 * forwards) on the proxied API only. Applied to every path, as its auto-configuration does, it hides
 * a form's fields from the gateway's own pages: the dashboard's forms (sign-in, the job wizard) would
 * arrive empty. Its auto-configured instance is switched off in application.yml.
 */
@Configuration(proxyBeanMethods = false)
class ProxiedFormPostsConfiguration {

  @Bean
  FilterRegistrationBean<FormFilter> proxiedFormPosts() {
    FormFilter filter = new FormFilter();
    FilterRegistrationBean<FormFilter> registration = new FilterRegistrationBean<>(filter);
    registration.addUrlPatterns("/api/*");
    registration.setOrder(filter.getOrder());
    return registration;
  }
}
