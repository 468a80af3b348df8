package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.Roles;
import dev.divergence.platform.tenancy.TenantContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

/**
 * A validated OIDC JWT as a caller: tenant, tenants and roles from the configured claims. Roles the
 * platform does not know are dropped; a token that grants none of the platform's roles, or names no
 * valid tenant (and no default is configured), is refused. The tenant claim names the tenant the
 * caller acts for unless a request chooses another; the tenants claim lists every tenant the caller
 * may choose (the tenant claim's is always one of them). Without a tenant claim the first listed
 * tenant is the active one. The dashboard's sign-in through the OIDC provider maps the ID token's
 * claims with these same rules ({@link #caller(Map, String)}).
 */
public class JwtCallerConverter implements Converter<Jwt, AbstractAuthenticationToken> {

  private final AuthProperties.Jwt claims;

  public JwtCallerConverter(AuthProperties.Jwt claims) {
    this.claims = claims;
  }

  @Override
  public AbstractAuthenticationToken convert(Jwt jwt) {
    return caller(jwt.getClaims(), jwt.getSubject());
  }

  /**
   * The caller a token's claims stand for.
   *
   * @throws InvalidBearerTokenException when the claims name no valid tenant or grant no platform role
   */
  public CallerAuthentication caller(Map<String, Object> tokenClaims, String subject) {
    List<String> listed = strings(tokenClaims.get(claims.tenantsClaim()));
    for (String tenant : listed) {
      if (!TenantContext.isValid(tenant)) {
        throw new InvalidBearerTokenException("the token's claim '" + claims.tenantsClaim() + "' lists '" + tenant
            + "', which is no valid tenant");
      }
    }
    Object tenantClaim = tokenClaims.get(claims.tenantClaim());
    String tenant = tenantClaim != null ? String.valueOf(tenantClaim)
        : !listed.isEmpty() ? listed.get(0) : claims.defaultTenant();
    if (!TenantContext.isValid(tenant)) {
      throw new InvalidBearerTokenException("the token's claim '" + claims.tenantClaim() + "' names no valid tenant");
    }
    List<String> roles = strings(tokenClaims.get(claims.rolesClaim()));
    roles.retainAll(Roles.GRANTABLE);
    if (roles.isEmpty()) {
      throw new InvalidBearerTokenException("the token's claim '" + claims.rolesClaim() + "' grants none of " + Roles.GRANTABLE);
    }
    Set<String> tenants = new LinkedHashSet<>(listed);
    tenants.add(tenant);
    String who = subject == null ? "unknown" : subject;
    return new CallerAuthentication(new CallerIdentity("jwt:" + who, tenant, Set.copyOf(roles)), "jwt", tenants);
  }

  /** A claim holding a list, or one space-separated string, as strings. */
  private static List<String> strings(Object value) {
    List<String> strings = new ArrayList<>();
    if (value instanceof Collection<?> listed) {
      listed.forEach(item -> strings.add(String.valueOf(item)));
    } else if (value instanceof String spaced && !spaced.isBlank()) {
      strings.addAll(List.of(spaced.trim().split("\\s+")));
    }
    return strings;
  }
}
