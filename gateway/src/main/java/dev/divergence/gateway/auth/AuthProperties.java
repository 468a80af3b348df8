package dev.divergence.gateway.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Authentication at the edge ({@code divergence.gateway.auth.*}).
 *
 * @param bootstrapAdminKey an API key ({@code dvg_...}) made an admin key of the default tenant at
 *     start if it is not stored yet, so a fresh platform has one caller who can make the others
 *     (environment {@code DIVERGENCE_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY}; {@code ./platform up} makes one)
 * @param keyCacheTtl how long a replica trusts what it read of a key; a key revoked on another
 *     replica stops working within this time (at once on the replica that revoked it)
 * @param jwt how claims of an OIDC bearer JWT map onto a tenant and roles
 */
@ConfigurationProperties("divergence.gateway.auth")
public record AuthProperties(String bootstrapAdminKey, Duration keyCacheTtl, Jwt jwt) {

  /**
   * @param tenantClaim the claim holding the caller's tenant (the active one unless a request chooses another)
   * @param rolesClaim the claim holding the caller's roles (a list, or a space-separated string)
   * @param defaultTenant the tenant of a token without the tenant claim; empty: such a token is refused
   * @param tenantsClaim the claim listing every tenant the caller may act for (a list, or a
   *     space-separated string); a request chooses one with {@code X-Divergence-Tenant}
   */
  public record Jwt(String tenantClaim, String rolesClaim, String defaultTenant, String tenantsClaim) {
    public Jwt {
      tenantClaim = tenantClaim == null || tenantClaim.isBlank() ? "tenant" : tenantClaim;
      tenantsClaim = tenantsClaim == null || tenantsClaim.isBlank() ? "tenants" : tenantsClaim;
      rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "roles" : rolesClaim;
      defaultTenant = defaultTenant == null || defaultTenant.isBlank() ? null : defaultTenant;
    }
  }

  public AuthProperties {
    keyCacheTtl = keyCacheTtl == null ? Duration.ofSeconds(5) : keyCacheTtl;
    jwt = jwt == null ? new Jwt(null, null, null, null) : jwt;
    bootstrapAdminKey = bootstrapAdminKey == null || bootstrapAdminKey.isBlank() ? null : bootstrapAdminKey.strip();
  }
}
