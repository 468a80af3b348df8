package dev.divergence.platform.tenancy;

import java.util.List;

/**
 * The platform's roles, weakest first. Each role includes the ones before it: a submitter may read,
 * an admin may submit. {@link #TENANT_ADMIN} manages its own tenant's API keys, {@link #ADMIN} every
 * tenant's; {@link #SERVICE} marks a service acting on its own (never given to a caller).
 */
public final class Roles {

  public static final String VIEWER = "viewer";
  public static final String SUBMITTER = "submitter";
  public static final String TENANT_ADMIN = "tenant-admin";
  public static final String ADMIN = "admin";
  public static final String SERVICE = "service";

  /** The roles an API key or a token may carry, in increasing power. */
  public static final List<String> GRANTABLE = List.of(VIEWER, SUBMITTER, TENANT_ADMIN, ADMIN);

  private Roles() {}

  /** Whether {@code held} includes {@code required} (a stronger role includes every weaker one). */
  public static boolean includes(java.util.Collection<String> held, String required) {
    int needed = GRANTABLE.indexOf(required);
    if (needed < 0) {
      return held.contains(required);
    }
    for (String role : held) {
      if (GRANTABLE.indexOf(role) >= needed) {
        return true;
      }
    }
    return false;
  }
}
