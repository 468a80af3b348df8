package dev.divergence.gateway.dashboard;

import dev.divergence.platform.tenancy.Roles;
import jakarta.servlet.DispatcherType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;

/**
 * The dashboard's own security: unlike the API (stateless, a credential on every call), a browser
 * signs in once with an API key and keeps a session cookie, so forms carry a CSRF token and pages a
 * strict content security policy (scripts, styles and connections only from the gateway itself; no
 * inline script). Reading needs {@code viewer}, changing anything {@code submitter}, as on the API.
 */
@Configuration(proxyBeanMethods = false)
public class DashboardSecurityConfiguration {

  static final String SIGN_IN = "/ui/sign-in";
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
  private static final String[] VIEWER_AND_UP = {Roles.VIEWER, Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};
  private static final String[] SUBMITTER_AND_UP = {Roles.SUBMITTER, Roles.TENANT_ADMIN, Roles.ADMIN};

  @Bean
  SecurityContextRepository dashboardSessions() {
    return new HttpSessionSecurityContextRepository();
  }

  @Bean
  @Order(1)
  SecurityFilterChain dashboard(HttpSecurity http, SecurityContextRepository dashboardSessions) throws Exception {
    http
        .securityMatcher("/", "/ui", "/ui/**", "/webjars/**", "/dashboard-assets/**")
        .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.IF_REQUIRED)
            .sessionFixation(fixation -> fixation.changeSessionId()))
        .securityContext(context -> context.securityContextRepository(dashboardSessions))
        .requestCache(cache -> cache.disable())
        .formLogin(form -> form.disable())
        .httpBasic(basic -> basic.disable())
        .logout(logout -> logout.logoutUrl("/ui/sign-out").logoutSuccessUrl(SIGN_IN + "?signedOut"))
        .headers(headers -> headers
            .contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
            .referrerPolicy(referrer -> referrer.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)))
        .exceptionHandling(errors -> errors.authenticationEntryPoint(new LoginUrlAuthenticationEntryPoint(SIGN_IN)))
        .authorizeHttpRequests(requests -> requests
            .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
            .requestMatchers(SIGN_IN, "/webjars/**", "/dashboard-assets/**").permitAll()
            .requestMatchers(HttpMethod.GET, "/**").hasAnyRole(VIEWER_AND_UP)
            .requestMatchers("/ui/sign-out").authenticated()
            .anyRequest().hasAnyRole(SUBMITTER_AND_UP));
    return http.build();
  }
}
