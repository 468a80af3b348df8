package dev.divergence.gateway.dashboard;

import dev.divergence.gateway.auth.AuthProperties;
import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.gateway.auth.JwtCallerConverter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ClientRegistrations;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * Sign-in through the OIDC provider: the client registration, read from the provider's discovery
 * document on first use (and kept once read), and the mapping of the ID token's claims to the
 * platform's caller with the API's own rules ({@link JwtCallerConverter}), so a user signed in here
 * calls the services exactly as their bearer token would.
 */
final class OidcSignIn implements ClientRegistrationRepository {

  static final String REGISTRATION_ID = "oidc";
  static final String AUTHORIZATION_BASE = "/ui/oauth2/authorization";
  static final String CALLBACK_BASE = "/ui/oauth2/code";

  /** The provider did not answer its discovery document, or answered something unusable. */
  static final class ProviderUnavailableException extends RuntimeException {
    ProviderUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The provider's user, with the platform caller its claims stand for. */
  static final class CallerOidcUser extends DefaultOidcUser {
    private final transient CallerAuthentication caller;

    CallerOidcUser(OidcUser user, CallerAuthentication caller) {
      super(user.getAuthorities().stream().map(GrantedAuthority.class::cast).toList(), user.getIdToken(), user.getUserInfo());
      this.caller = caller;
    }

    CallerAuthentication caller() {
      return caller;
    }
  }

  private final DashboardOidcProperties properties;
  private final JwtCallerConverter claims;
  private final OidcUserService users = new OidcUserService();
  private final AtomicReference<ClientRegistration> registration = new AtomicReference<>();

  OidcSignIn(DashboardOidcProperties properties, AuthProperties auth) {
    this.properties = properties;
    this.claims = new JwtCallerConverter(auth.jwt());
  }

  String providerName() {
    return properties.name();
  }

  /**
   * The registration, reading the provider's discovery document if it was not read yet.
   *
   * @throws ProviderUnavailableException when the provider does not answer
   */
  ClientRegistration registration() {
    ClientRegistration known = registration.get();
    return known != null ? known : refresh();
  }

  /**
   * Reads the provider's discovery document again (a sign-in starts here, so a provider that went
   * down since the last read is a message on the dashboard, not a dead page at the provider).
   *
   * @throws ProviderUnavailableException when the provider does not answer
   */
  ClientRegistration refresh() {
    ClientRegistration.Builder builder;
    try {
      builder = ClientRegistrations.fromIssuerLocation(properties.issuerUri());
    } catch (RuntimeException unreachable) {
      throw new ProviderUnavailableException("The sign-in provider " + properties.name() + " (" + properties.issuerUri()
          + ") does not answer; sign in with an API key or try again later.", unreachable);
    }
    ClientRegistration read = builder.registrationId(REGISTRATION_ID)
        .clientId(properties.clientId())
        .clientSecret(properties.clientSecret())
        .clientAuthenticationMethod(properties.clientSecret() == null
            ? ClientAuthenticationMethod.NONE : ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
        .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
        .redirectUri("{baseUrl}" + CALLBACK_BASE + "/{registrationId}")
        .scope(properties.scopes())
        .clientName(properties.name())
        .build();
    registration.set(read);
    return read;
  }

  @Override
  public ClientRegistration findByRegistrationId(String registrationId) {
    return REGISTRATION_ID.equals(registrationId) ? registration() : null;
  }

  /** The provider's user, refused unless its ID token's claims name a tenant and grant a platform role. */
  OidcUser loadUser(OidcUserRequest request) {
    OidcUser user = users.loadUser(request);
    Map<String, Object> idClaims = user.getIdToken().getClaims();
    try {
      return new CallerOidcUser(user, claims.caller(idClaims, user.getSubject()));
    } catch (OAuth2AuthenticationException refused) {
      throw new OAuth2AuthenticationException(new OAuth2Error("access_denied",
          "your account at " + properties.name() + " has no access to Divergence: " + refused.getMessage(), null));
    }
  }
}
