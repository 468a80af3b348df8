package dev.divergence.gateway.auth;

import dev.divergence.gateway.ratelimit.RateLimitFilter;
import dev.divergence.gateway.ratelimit.RateLimitProperties;
import dev.divergence.gateway.ratelimit.RateLimiter;
import dev.divergence.platform.tenancy.Roles;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;

/**
 * Who may call what at the edge. Health is open (probes); everything else needs an API key or, when
 * an issuer is configured, an OIDC JWT. Reads need {@code viewer}, changes {@code submitter}, the key
 * admin API {@code tenant-admin}, the gateway's own actuator {@code admin}. Stronger roles include
 * the weaker ones (see {@link Roles}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({AuthProperties.class, RateLimitProperties.class, EdgeProperties.class})
public class SecurityConfiguration {

  private static final String[] VIEWER_AND_UP = {Roles.VIEWER, Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};
  private static final String[] SUBMITTER_AND_UP = {Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};
  private static final String[] TENANT_ADMIN_AND_UP = {Roles.TENANT_ADMIN, Roles.ADMIN};

  @Bean
  SecurityFilterChain edge(HttpSecurity http, ApiKeyService keys, AuthProperties properties,
      ObjectProvider<JwtDecoder> jwtDecoder, RateLimiter rateLimiter, RateLimitProperties rateLimits,
      MeterRegistry meters, EdgeProperties edge) throws Exception {
    AuthenticationEntryPoint unauthenticated = ProblemResponses.unauthenticated();
    http
        // an API for programs: no cookies, no sessions, hence no CSRF to defend against
        .csrf(csrf -> csrf.disable())
        .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .requestCache(cache -> cache.disable())
        .formLogin(form -> form.disable())
        .httpBasic(basic -> basic.disable())
        .logout(logout -> logout.disable())
        .addFilterBefore(new ApiKeyAuthenticationFilter(keys, unauthenticated), AnonymousAuthenticationFilter.class)
        // first in the chain, so refused calls (401, 403) are audited too
        .addFilterBefore(new AuditLogFilter(), org.springframework.security.web.context.SecurityContextHolderFilter.class)
        .addFilterBefore(new RequestSizeLimitFilter(edge.maxRequestSize().toBytes()),
            org.springframework.security.web.context.SecurityContextHolderFilter.class)
        // Spring Security's defaults (nosniff, frame DENY, no-store, HSTS over HTTPS) plus no referrer leaks
        .headers(headers -> headers
            .referrerPolicy(referrer -> referrer.policy(
                org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy.NO_REFERRER))
            .contentSecurityPolicy(csp -> csp.policyDirectives("frame-ancestors 'none'")))
        .cors(cors -> cors.configurationSource(corsConfiguration(edge)))
        // after authentication (API key or JWT), before the roles are judged and the buckets drawn on
        .addFilterBefore(new TenantSelectionFilter(), AuthorizationFilter.class)
        // after authorisation: a caller's refused calls cost nothing, its allowed ones draw on its buckets
        .addFilterAfter(new RateLimitFilter(rateLimiter, rateLimits, meters), AuthorizationFilter.class)
        .exceptionHandling(errors -> errors.authenticationEntryPoint(unauthenticated)
            .accessDeniedHandler(ProblemResponses.forbidden()))
        .authorizeHttpRequests(requests -> requests
            // an error dispatch renders the failure of a request already judged; judged again it would
            // be anonymous (the API key filter runs once per request) and every error would read as 401
            .dispatcherTypeMatchers(jakarta.servlet.DispatcherType.ERROR).permitAll()
            .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
            .requestMatchers("/actuator/**").hasAnyRole(Roles.ADMIN)
            .requestMatchers("/api/v1/admin/**").hasAnyRole(TENANT_ADMIN_AND_UP)
            .requestMatchers(HttpMethod.GET, "/**").hasAnyRole(VIEWER_AND_UP)
            .requestMatchers(HttpMethod.HEAD, "/**").hasAnyRole(VIEWER_AND_UP)
            .requestMatchers(HttpMethod.OPTIONS, "/**").permitAll()
            .anyRequest().hasAnyRole(SUBMITTER_AND_UP));
    if (jwtDecoder.getIfAvailable() != null) {
      DefaultBearerTokenResolver bearer = new DefaultBearerTokenResolver();
      http.oauth2ResourceServer(jwt -> jwt
          // an API key in the Bearer header is the API key filter's, not a JWT
          .bearerTokenResolver(request -> {
            String token = bearer.resolve(request);
            return ApiKeySecret.looksLikeOne(token) ? null : token;
          })
          .authenticationEntryPoint(unauthenticated)
          .jwt(decoder -> decoder.jwtAuthenticationConverter(new JwtCallerConverter(properties.jwt()))));
    }
    return http.build();
  }

  /**
   * The JWT decoder for a configured JWK set, with timeouts an identity provider under load can meet
   * (the library's default read timeout is a fraction of a second); keys are cached after the first read.
   */
  @Bean
  @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty("spring.security.oauth2.resourceserver.jwt.jwk-set-uri")
  JwtDecoder jwtDecoder(
      @org.springframework.beans.factory.annotation.Value("${spring.security.oauth2.resourceserver.jwt.jwk-set-uri}") String jwkSetUri) {
    org.springframework.http.client.SimpleClientHttpRequestFactory requests =
        new org.springframework.http.client.SimpleClientHttpRequestFactory();
    requests.setConnectTimeout(java.time.Duration.ofSeconds(5));
    requests.setReadTimeout(java.time.Duration.ofSeconds(10));
    return org.springframework.security.oauth2.jwt.NimbusJwtDecoder.withJwkSetUri(jwkSetUri)
        .restOperations(new org.springframework.web.client.RestTemplate(requests)).build();
  }

  /**
   * A request the firewall refuses (path parameters, encoded slashes, odd headers) is a 400
   * problem+json naming the reason, like every other bad request, not the container's error page.
   */
  @Bean
  org.springframework.security.web.firewall.RequestRejectedHandler requestRejectedHandler() {
    return (request, response, rejected) -> ProblemResponses.write(response,
        dev.divergence.platform.errors.ErrorKind.INVALID_ARGUMENT, rejected.getMessage());
  }

  /** Browsers from the configured origins may call the API with credentials in headers (no cookies). */
  private static org.springframework.web.cors.CorsConfigurationSource corsConfiguration(EdgeProperties edge) {
    org.springframework.web.cors.CorsConfiguration cors = new org.springframework.web.cors.CorsConfiguration();
    cors.setAllowedOrigins(edge.corsAllowedOrigins());
    cors.setAllowedMethods(java.util.List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));
    cors.setAllowedHeaders(java.util.List.of("Authorization", "X-Api-Key", TenantSelectionFilter.HEADER, "Content-Type", "Idempotency-Key", "X-Request-Id",
        "traceparent"));
    cors.setExposedHeaders(java.util.List.of("Location", "X-Request-Id", "Retry-After", "RateLimit-Limit",
        "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"));
    cors.setAllowCredentials(false);
    cors.setMaxAge(java.time.Duration.ofHours(1));
    org.springframework.web.cors.UrlBasedCorsConfigurationSource source = new org.springframework.web.cors.UrlBasedCorsConfigurationSource();
    source.registerCorsConfiguration("/api/**", cors);
    return source;
  }
}
