package dev.divergence.platform.tenancy;

import dev.divergence.platform.tenancy.IdentityProperties.Mode;
import java.time.Clock;
import java.util.Optional;

/**
 * The service's identity settings, checked once at start: a service that verifies or issues tokens
 * must have a usable secret, or it does not start (better than a service that answers everybody).
 */
public final class IdentityPolicy {

  private final Mode mode;
  private final IdentityTokens tokens;

  private IdentityPolicy(Mode mode, IdentityTokens tokens) {
    this.mode = mode;
    this.tokens = tokens;
  }

  public static IdentityPolicy from(IdentityProperties properties, String serviceName, Clock clock) {
    if (properties.mode() == Mode.TRUST_HEADERS) {
      IdentityTokens tokens = properties.secret() == null || properties.secret().isBlank() ? null
          : new IdentityTokens(IdentityTokens.decodeSecret(properties.secret()), serviceName, properties.lifetime(), clock);
      return new IdentityPolicy(Mode.TRUST_HEADERS, tokens);
    }
    byte[] secret;
    try {
      secret = IdentityTokens.decodeSecret(properties.secret());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("divergence.security.identity.secret: " + e.getMessage()
          + " (set DIVERGENCE_SECURITY_IDENTITY_SECRET to the base64 secret the gateway and the services share,"
          + " e.g. `openssl rand -base64 32`)");
    }
    return new IdentityPolicy(properties.mode(), new IdentityTokens(secret, serviceName, properties.lifetime(), clock));
  }

  /** For tests of a single service: trust the tenant header, sign nothing. */
  public static IdentityPolicy trustHeaders() {
    return new IdentityPolicy(Mode.TRUST_HEADERS, null);
  }

  public Mode mode() {
    return mode;
  }

  /** Whether incoming calls must prove their identity with a signed token. */
  public boolean verifiesCalls() {
    return mode == Mode.VERIFY;
  }

  /** The signer and verifier, when a secret is configured. */
  public Optional<IdentityTokens> tokens() {
    return Optional.ofNullable(tokens);
  }
}
