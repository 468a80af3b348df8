package dev.divergence.platform.tenancy;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How a service learns who a call is for ({@code divergence.security.identity.*}).
 *
 * @param mode {@code verify} (the default): believe only a token signed with {@code secret};
 *     {@code issue}: the gateway, which authenticates callers itself and signs the tokens;
 *     {@code trust-headers}: believe a plain {@code X-Tenant-Id} — for a service's own tests only,
 *     never deployed (a service in this mode logs a warning at start)
 * @param secret base64 of at least 32 random bytes, the same for the gateway and every service
 *     (environment {@code DIVERGENCE_SECURITY_IDENTITY_SECRET}, a Kubernetes secret in a cluster)
 * @param lifetime how long a signed token stays valid; a token outlives no call by much
 */
@ConfigurationProperties("divergence.security.identity")
public record IdentityProperties(Mode mode, String secret, Duration lifetime) {

  public enum Mode { VERIFY, ISSUE, TRUST_HEADERS }

  public IdentityProperties {
    mode = mode == null ? Mode.VERIFY : mode;
    lifetime = lifetime == null ? Duration.ofMinutes(5) : lifetime;
  }
}
