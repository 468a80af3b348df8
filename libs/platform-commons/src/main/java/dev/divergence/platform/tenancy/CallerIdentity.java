package dev.divergence.platform.tenancy;

import java.util.Set;

/**
 * Who a call is made for, as the gateway authenticated it: the principal (an API key's id, a JWT's
 * subject, or {@code service:<name>} for a service's own background work), its tenant and its roles.
 */
public record CallerIdentity(String subject, String tenant, Set<String> roles) {

  public CallerIdentity {
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("an identity needs a subject");
    }
    if (!TenantContext.isValid(tenant)) {
      throw new IllegalArgumentException("not a tenant id: '" + tenant + "'");
    }
    roles = Set.copyOf(roles);
  }

  /** The identity a service acts under when no user call is being served (queued work, an event). */
  public static CallerIdentity service(String serviceName, String tenant) {
    return new CallerIdentity("service:" + (serviceName == null || serviceName.isBlank() ? "unknown" : serviceName),
        tenant, Set.of(Roles.SERVICE));
  }
}
