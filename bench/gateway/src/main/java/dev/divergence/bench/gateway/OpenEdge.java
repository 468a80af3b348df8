package dev.divergence.bench.gateway;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;

/**
 * Bench-only: the gateway without its security chain on {@code /api/**}, the floor that authentication
 * and rate limiting are measured against. Spring Security's filter chain proxy still runs, but for
 * {@code /api/**} it holds no filter, so none of what {@code SecurityConfiguration.edge} adds happens:
 * no API key lookup, no authorisation, no rate limit, no signed identity for the service (the route
 * forwards no {@code X-Divergence-Identity}), no audit event, no security headers, no CORS and no
 * request-size check. The routes, resilience filters and everything outside the security chain stay
 * as the gateway ships them. Never on the gateway's own classpath: only {@link BenchGateway} adds it.
 */
@Configuration(proxyBeanMethods = false)
public class OpenEdge {

  @Bean
  WebSecurityCustomizer benchOpenEdge() {
    return web -> web.ignoring().requestMatchers("/api/**");
  }
}
