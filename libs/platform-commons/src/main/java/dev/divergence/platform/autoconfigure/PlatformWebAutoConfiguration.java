package dev.divergence.platform.autoconfigure;

import dev.divergence.platform.errors.ProblemDetailsAdvice;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.TenantFilter;
import dev.divergence.platform.text.TextRulesModule;
import dev.divergence.platform.web.ProblemJsonErrorReportValve;
import dev.divergence.platform.web.RequestIdFilter;
import dev.divergence.platform.web.TextRulesInterceptor;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.http.converter.autoconfigure.ServerHttpMessageConvertersCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.json.JsonMapper;

/** REST conventions of every service: request ids, tenant header, text rules, problem+json errors. */
@AutoConfiguration(after = PlatformIdentityAutoConfiguration.class)
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
  FilterRegistrationBean<TenantFilter> tenantFilter(IdentityPolicy identity) {
    FilterRegistrationBean<TenantFilter> registration = new FilterRegistrationBean<>(new TenantFilter(identity));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    return registration;
  }

  /**
   * Strings in request bodies: see {@link TextRulesModule}. Only the JSON converter of the web layer
   * gets the rules, through a copy of the application's mapper: the mapper itself also reads what the
   * service stored earlier (JSONB columns, files), which must stay readable whatever it holds.
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  ServerHttpMessageConvertersCustomizer textRulesJsonConverter(ObjectProvider<JsonMapper> jsonMapper) {
    // runs after Spring Boot's own customizer, so this converter replaces the unchecked one
    return converters -> jsonMapper.ifAvailable(mapper -> converters.withJsonConverter(
        new JacksonJsonHttpMessageConverter(mapper.rebuild().addModule(new TextRulesModule()).build())));
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

  /**
   * Tomcat's own rejections (see {@link ProblemJsonErrorReportValve}) as problem+json. Added to the
   * host after Spring Boot's HTML error valve, so it is the inner one and reports first.
   */
  @Bean
  @Order(Ordered.LOWEST_PRECEDENCE)
  @ConditionalOnClass(name = "org.apache.catalina.valves.ErrorReportValve")
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemJsonErrorReportValve() {
    return factory -> factory.addContextCustomizers(
        context -> context.getParent().getPipeline().addValve(new ProblemJsonErrorReportValve()));
  }

  @Bean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnMissingBean
  ProblemDetailsAdvice problemDetailsAdvice() {
    return new ProblemDetailsAdvice();
  }
}
