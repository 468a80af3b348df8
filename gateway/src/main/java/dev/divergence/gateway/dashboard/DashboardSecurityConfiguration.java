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
@org.springframework.boot.context.properties.EnableConfigurationProperties(DashboardOidcProperties.class)
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

  /** Sign-in through the OIDC provider, when one is configured. */
  @Bean
  @org.springframework.boot.autoconfigure.condition.ConditionalOnExpression(
      "'${divergence.gateway.dashboard.oidc.issuer-uri:}' != '' and '${divergence.gateway.dashboard.oidc.client-id:}' != ''")
  OidcSignIn oidcSignIn(DashboardOidcProperties properties, dev.divergence.gateway.auth.AuthProperties auth) {
    return new OidcSignIn(properties, auth);
  }

  @Bean
  @Order(1)
  SecurityFilterChain dashboard(HttpSecurity http, SecurityContextRepository dashboardSessions,
      org.springframework.beans.factory.ObjectProvider<OidcSignIn> oidc) throws Exception {
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
            .requestMatchers(SIGN_IN, SIGN_IN + "/oidc", OidcSignIn.AUTHORIZATION_BASE + "/**", OidcSignIn.CALLBACK_BASE + "/**",
                "/webjars/**", "/dashboard-assets/**").permitAll()
            .requestMatchers(HttpMethod.GET, "/**").hasAnyRole(VIEWER_AND_UP)
            .requestMatchers("/ui/sign-out").authenticated()
            .anyRequest().hasAnyRole(SUBMITTER_AND_UP));
    OidcSignIn signIn = oidc.getIfAvailable();
    if (signIn != null) {
      signInThroughProvider(http, signIn, dashboardSessions);
    }
    return http.build();
  }

  /**
   * The authorization-code flow with PKCE (also for a confidential client: a stolen code is useless
   * without the verifier). On success the provider's user becomes the platform caller its ID token's
   * claims stand for, as the API maps a bearer JWT, and the session holds that caller like an API
   * key's; any failure (provider down, a refused account, a tampered callback) returns to the sign-in
   * page with the reason.
   */
  private static void signInThroughProvider(HttpSecurity http, OidcSignIn signIn, SecurityContextRepository sessions)
      throws Exception {
    var requests = new org.springframework.security.oauth2.client.web.DefaultOAuth2AuthorizationRequestResolver(
        signIn, OidcSignIn.AUTHORIZATION_BASE);
    requests.setAuthorizationRequestCustomizer(
        org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestCustomizers.withPkce());
    var failed = new org.springframework.security.web.authentication.SimpleUrlAuthenticationFailureHandler(SIGN_IN + "?failed");
    http.oauth2Login(login -> login
        .clientRegistrationRepository(signIn)
        .authorizedClientRepository(new org.springframework.security.oauth2.client.web.HttpSessionOAuth2AuthorizedClientRepository())
        .loginPage(SIGN_IN)
        .loginProcessingUrl(OidcSignIn.CALLBACK_BASE + "/*")
        .authorizationEndpoint(endpoint -> endpoint.baseUri(OidcSignIn.AUTHORIZATION_BASE).authorizationRequestResolver(requests))
        .redirectionEndpoint(endpoint -> endpoint.baseUri(OidcSignIn.CALLBACK_BASE + "/*"))
        .userInfoEndpoint(users -> users.oidcUserService(signIn::loadUser))
        .securityContextRepository(sessions)
        .successHandler((request, response, authentication) -> {
          var user = (OidcSignIn.CallerOidcUser) authentication.getPrincipal();
          var context = org.springframework.security.core.context.SecurityContextHolder.createEmptyContext();
          context.setAuthentication(user.caller());
          org.springframework.security.core.context.SecurityContextHolder.setContext(context);
          sessions.saveContext(context, request, response);
          response.sendRedirect(request.getContextPath() + "/ui/jobs");
        })
        .failureHandler(failed)
        // the redirect to the provider fails too when the provider is down: the same page, not a 500
        .withObjectPostProcessor(new org.springframework.security.config.ObjectPostProcessor<
            org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter>() {
          @Override
          public <O extends org.springframework.security.oauth2.client.web.OAuth2AuthorizationRequestRedirectFilter> O postProcess(O filter) {
            filter.setAuthenticationFailureHandler(failed);
            return filter;
          }
        }));
  }
}
