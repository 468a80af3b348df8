package dev.divergence.platform.tenancy;

import java.util.regex.Pattern;

/**
 * The tenant (and, for a user's call, the {@link CallerIdentity}) of the current unit of work. The
 * tenant comes from the gateway's signed identity token ({@link IdentityTokens}); only a service run
 * with {@code trust-headers} for its own tests takes a plain {@code X-Tenant-Id}. Without either,
 * everything belongs to {@link #DEFAULT_TENANT}.
 */
public final class TenantContext {

  public static final String HEADER = "X-Tenant-Id";
  public static final String DEFAULT_TENANT = "default";
  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();
  private static final ThreadLocal<CallerIdentity> CALLER = new ThreadLocal<>();

  private TenantContext() {}

  public static String current() {
    String tenant = CURRENT.get();
    return tenant == null ? DEFAULT_TENANT : tenant;
  }

  public static boolean isValid(String tenant) {
    return tenant != null && VALID.matcher(tenant).matches();
  }

  /**
   * Runs {@code work} as {@code tenant} on this thread (background work done for a tenant: a queued
   * run, an event's effect), restoring whatever was bound before.
   */
  public static <T> T callAs(String tenant, java.util.function.Supplier<T> work) {
    if (!isValid(tenant)) {
      throw new IllegalArgumentException("not a tenant id: '" + tenant + "'");
    }
    String previous = CURRENT.get();
    CallerIdentity previousCaller = CALLER.get();
    CURRENT.set(tenant);
    if (previousCaller != null && !previousCaller.tenant().equals(tenant)) {
      // work for another tenant is not the caller's: calls it makes go out as the service's own
      CALLER.remove();
    }
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
      if (previousCaller == null) {
        CALLER.remove();
      } else {
        CALLER.set(previousCaller);
      }
    }
  }

  public static void runAs(String tenant, Runnable work) {
    callAs(tenant, () -> {
      work.run();
      return null;
    });
  }

  /** The authenticated caller whose request is being served; empty for a service's own work. */
  public static java.util.Optional<CallerIdentity> caller() {
    return java.util.Optional.ofNullable(CALLER.get());
  }

  static void set(String tenant) {
    CURRENT.set(tenant);
  }

  static void bind(CallerIdentity caller) {
    CURRENT.set(caller.tenant());
    CALLER.set(caller);
  }

  static void clear() {
    CURRENT.remove();
    CALLER.remove();
  }
}
