package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * An authenticated caller (by API key or JWT) as Spring Security holds it: one authority per role,
 * the tenant it acts for now ({@link CallerIdentity#tenant()}) and every tenant it may act for (an
 * API key has one; a JWT's {@code tenants} claim may list several).
 */
public final class CallerAuthentication extends AbstractAuthenticationToken {

  private final CallerIdentity identity;
  private final String method;
  private final Set<String> tenants;

  public CallerAuthentication(CallerIdentity identity, String method) {
    this(identity, method, Set.of(identity.tenant()));
  }

  public CallerAuthentication(CallerIdentity identity, String method, Collection<String> tenants) {
    super(authorities(identity));
    this.identity = identity;
    this.method = method;
    TreeSet<String> all = new TreeSet<>(tenants);
    all.add(identity.tenant());
    this.tenants = java.util.Collections.unmodifiableSortedSet(all);
    setAuthenticated(true);
  }

  /** The caller of the request being served, if it was authenticated. */
  public static java.util.Optional<CallerIdentity> current() {
    return currentAuthentication().map(CallerAuthentication::identity);
  }

  /** The authentication of the request being served, if it is a platform caller's. */
  public static java.util.Optional<CallerAuthentication> currentAuthentication() {
    return SecurityContextHolder.getContext().getAuthentication() instanceof CallerAuthentication caller
        ? java.util.Optional.of(caller) : java.util.Optional.empty();
  }

  private static List<GrantedAuthority> authorities(CallerIdentity identity) {
    return identity.roles().stream().<GrantedAuthority>map(role -> new SimpleGrantedAuthority("ROLE_" + role)).toList();
  }

  public CallerIdentity identity() {
    return identity;
  }

  /** {@code api-key} or {@code jwt} (a dashboard session signed in through the OIDC provider is {@code jwt} too). */
  public String method() {
    return method;
  }

  /** Every tenant this caller may act for, sorted; always holds the current one. */
  public Set<String> tenants() {
    return tenants;
  }

  /**
   * The same caller acting for {@code tenant}, one of {@link #tenants()}.
   *
   * @throws TenantNotAllowedException when the caller may not act for that tenant
   */
  public CallerAuthentication actingFor(String tenant) {
    if (tenant == null || !tenants.contains(tenant)) {
      throw new TenantNotAllowedException(tenant, tenants);
    }
    if (tenant.equals(identity.tenant())) {
      return this;
    }
    return new CallerAuthentication(new CallerIdentity(identity.subject(), tenant, identity.roles()), method, tenants);
  }

  /** A tenant the caller is not a member of was asked for. */
  public static final class TenantNotAllowedException extends RuntimeException {
    public TenantNotAllowedException(String tenant, Set<String> tenants) {
      super("the caller may act only for " + String.join(", ", tenants) + ", not for '" + tenant + "'");
    }
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
