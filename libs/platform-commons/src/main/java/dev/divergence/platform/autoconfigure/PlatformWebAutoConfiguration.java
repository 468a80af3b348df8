package dev.divergence.platform.autoconfigure;

import dev.divergence.platform.errors.ProblemDetailsAdvice;
import dev.divergence.platform.tenancy.TenantFilter;
import dev.divergence.platform.text.TextRulesModule;
import dev.divergence.platform.web.TextRulesInterceptor;
import dev.divergence.platform.web.RequestIdFilter;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** REST conventions of every service: request ids, tenant header, text rules, problem+json errors. */
@AutoConfiguration
public class PlatformWebAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  FilterRegistrationBean<RequestIdFilter> requestIdFilter() {
    FilterRegistrationBean<RequestIdFilter> registration = new FilterRegistrationBean<>(new RequestIdFilter());
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }

  @Bean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  FilterRegistrationBean<TenantFilter> tenantFilter() {
    FilterRegistrationBean<TenantFilter> registration = new FilterRegistrationBean<>(new TenantFilter());
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    return registration;
  }

  /** Strings in request bodies: see {@link TextRulesModule}. */
  @Bean
  JsonMapperBuilderCustomizer textRulesJsonCustomizer() {
    return builder -> builder.addModule(new TextRulesModule());
  }

  /** Query parameters and path variables: see {@link TextRulesInterceptor}. */
  @Bean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  WebMvcConfigurer textRulesWebMvcConfigurer() {
    return new WebMvcConfigurer() {
      @Override
      public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new TextRulesInterceptor());
      }
    };
  }

  @Bean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnMissingBean
  ProblemDetailsAdvice problemDetailsAdvice() {
    return new ProblemDetailsAdvice();
  }
}
