package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.Roles;
import dev.divergence.platform.tenancy.TenantContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;

/**
 * A validated OIDC JWT as a caller: tenant and roles from the configured claims. Roles the platform
 * does not know are dropped; a token that grants none of the platform's roles, or names no valid
 * tenant (and no default is configured), is refused.
 */
public class JwtCallerConverter implements Converter<Jwt, AbstractAuthenticationToken> {

  private final AuthProperties.Jwt claims;

  public JwtCallerConverter(AuthProperties.Jwt claims) {
    this.claims = claims;
  }

  @Override
  public AbstractAuthenticationToken convert(Jwt jwt) {
    String tenant = jwt.hasClaim(claims.tenantClaim()) ? jwt.getClaimAsString(claims.tenantClaim()) : claims.defaultTenant();
    if (!TenantContext.isValid(tenant)) {
      throw new InvalidBearerTokenException("the token's claim '" + claims.tenantClaim() + "' names no valid tenant");
    }
    List<String> roles = new ArrayList<>();
    Object value = jwt.getClaim(claims.rolesClaim());
    if (value instanceof Collection<?> listed) {
      listed.forEach(role -> roles.add(String.valueOf(role)));
    } else if (value instanceof String spaced) {
      roles.addAll(List.of(spaced.trim().split("\\s+")));
    }
    roles.retainAll(Roles.GRANTABLE);
    if (roles.isEmpty()) {
      throw new InvalidBearerTokenException("the token's claim '" + claims.rolesClaim() + "' grants none of " + Roles.GRANTABLE);
    }
    String subject = jwt.getSubject() == null ? "unknown" : jwt.getSubject();
    return new CallerAuthentication(new CallerIdentity("jwt:" + subject, tenant, Set.copyOf(roles)), "jwt");
  }
}
