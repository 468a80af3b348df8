package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.Roles;
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
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;

/**
 * Who may call what at the edge. Health is open (probes); everything else needs an API key or, when
 * an issuer is configured, an OIDC JWT. Reads need {@code viewer}, changes {@code submitter}, the key
 * admin API {@code tenant-admin}, the gateway's own actuator {@code admin}. Stronger roles include
 * the weaker ones (see {@link Roles}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AuthProperties.class)
public class SecurityConfiguration {

  private static final String[] VIEWER_AND_UP = {Roles.VIEWER, Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};
  private static final String[] SUBMITTER_AND_UP = {Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};
  private static final String[] TENANT_ADMIN_AND_UP = {Roles.TENANT_ADMIN, Roles.ADMIN};

  @Bean
  SecurityFilterChain edge(HttpSecurity http, ApiKeyService keys, AuthProperties properties,
      ObjectProvider<JwtDecoder> jwtDecoder) throws Exception {
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
        .exceptionHandling(errors -> errors.authenticationEntryPoint(unauthenticated)
            .accessDeniedHandler(ProblemResponses.forbidden()))
        .authorizeHttpRequests(requests -> requests
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
}
