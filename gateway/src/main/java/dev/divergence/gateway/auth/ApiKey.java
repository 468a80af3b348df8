package dev.divergence.gateway.auth;

import java.time.Instant;
import java.util.List;

/** A stored API key: what it grants, never its secret (only a hash of that is kept). */
public record ApiKey(String keyId, String name, String tenant, List<String> roles, String createdBy, Instant createdAt,
    Instant expiresAt, Instant revokedAt, String rotatedFrom) {

  /** Whether the key authenticates at {@code now}: neither revoked nor expired. */
  public boolean isActive(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
