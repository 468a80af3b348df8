package dev.divergence.platform.tenancy;

import java.util.function.Supplier;

/** Runs test code as a tenant, as {@link TenantFilter} does for a REST request. */
public final class TenantScope {

  private TenantScope() {}

  public static <T> T as(String tenant, Supplier<T> work) {
    TenantContext.set(tenant);
    try {
      return work.get();
    } finally {
      TenantContext.clear();
    }
  }
}
