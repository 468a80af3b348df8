package dev.divergence.gateway.dashboard;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The dashboard's sign-in through the OIDC provider ({@code divergence.gateway.dashboard.oidc.*}): the
 * authorization-code flow with PKCE against the same issuer the API validates bearer JWTs from. Off
 * unless both the issuer and the client id are set; the sign-in page then offers only API keys.
 *
 * @param issuerUri the provider's issuer (its {@code /.well-known/openid-configuration} is read on the
 *     first sign-in, not at start, so a provider that is down does not stop the gateway)
 * @param clientId the dashboard's client id at the provider
 * @param clientSecret its secret (from the environment or a Kubernetes secret; empty for a public client)
 * @param name the provider's name on the sign-in button ("Sign in with ...")
 * @param scopes the scopes asked for ({@code openid} at least)
 */
@ConfigurationProperties("divergence.gateway.dashboard.oidc")
public record DashboardOidcProperties(String issuerUri, String clientId, String clientSecret, String name, List<String> scopes) {

  public DashboardOidcProperties {
    issuerUri = blankToNull(issuerUri);
    clientId = blankToNull(clientId);
    clientSecret = blankToNull(clientSecret);
    name = name == null || name.isBlank() ? "your identity provider" : name.strip();
    scopes = scopes == null || scopes.isEmpty() ? List.of("openid") : List.copyOf(scopes);
  }

  /** Whether the dashboard offers sign-in through the provider. */
  public boolean enabled() {
    return issuerUri != null && clientId != null;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
