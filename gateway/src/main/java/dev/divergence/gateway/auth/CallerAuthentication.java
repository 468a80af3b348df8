package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.util.List;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

/** An authenticated caller (by API key or JWT) as Spring Security holds it: one authority per role. */
public final class CallerAuthentication extends AbstractAuthenticationToken {

  private final CallerIdentity identity;
  private final String method;

  public CallerAuthentication(CallerIdentity identity, String method) {
    super(authorities(identity));
    this.identity = identity;
    this.method = method;
    setAuthenticated(true);
  }

  /** The caller of the request being served, if it was authenticated. */
  public static java.util.Optional<CallerIdentity> current() {
    return SecurityContextHolder.getContext().getAuthentication() instanceof CallerAuthentication caller
        ? java.util.Optional.of(caller.identity()) : java.util.Optional.empty();
  }

  private static List<GrantedAuthority> authorities(CallerIdentity identity) {
    return identity.roles().stream().<GrantedAuthority>map(role -> new SimpleGrantedAuthority("ROLE_" + role)).toList();
  }

  public CallerIdentity identity() {
    return identity;
  }

  /** {@code api-key} or {@code jwt}. */
  public String method() {
    return method;
  }

  @Override
  public Object getCredentials() {
    return "";
  }

  @Override
  public Object getPrincipal() {
    return identity.subject();
  }
}
