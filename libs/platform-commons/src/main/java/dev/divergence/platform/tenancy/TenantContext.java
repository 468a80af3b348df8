package dev.divergence.platform.tenancy;

import java.util.regex.Pattern;

/**
 * The tenant of the current unit of work. Until authentication arrives the gateway forwards the
 * caller's {@code X-Tenant-Id}; without one everything belongs to {@link #DEFAULT_TENANT}.
 */
public final class TenantContext {

  public static final String HEADER = "X-Tenant-Id";
  public static final String DEFAULT_TENANT = "default";
  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

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
    CURRENT.set(tenant);
    try {
      return work.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  public static void runAs(String tenant, Runnable work) {
    callAs(tenant, () -> {
      work.run();
      return null;
    });
  }

  static void set(String tenant) {
    CURRENT.set(tenant);
  }

  static void clear() {
    CURRENT.remove();
  }
}
