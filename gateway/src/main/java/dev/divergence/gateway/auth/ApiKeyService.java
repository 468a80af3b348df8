package dev.divergence.gateway.auth;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.errors.PermissionDeniedException;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.Roles;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Service;

/**
 * API keys: made, listed, rotated and revoked by admins, and checked on every call. An admin manages
 * every tenant's keys; a tenant admin only its own tenant's and cannot grant {@code admin}. Keys a
 * caller may not manage are "not found", so another tenant's keys do not even show they exist.
 */
@Service
public class ApiKeyService {

  /** A key as made: the stored key and its text, which is shown this once and never again. */
  public record IssuedKey(ApiKey key, String text) {}

  private record Cached(Optional<ApiKeyRepository.Stored> stored, Instant readAt) {}

  private final ApiKeyRepository keys;
  private final AuthProperties properties;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public ApiKeyService(ApiKeyRepository keys, AuthProperties properties, Clock clock) {
    this.keys = keys;
    this.properties = properties;
    this.clock = clock;
  }

  /** Who a presented key authenticates, if anyone: unknown, wrong, revoked and expired keys are nobody. */
  public Optional<CallerIdentity> authenticate(String presented) {
    Optional<ApiKeySecret> secret = ApiKeySecret.parse(presented);
    if (secret.isEmpty()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Cached cached = cache.compute(secret.get().keyId(), (id, old) ->
        old != null && old.readAt().plus(properties.keyCacheTtl()).isAfter(now) ? old : new Cached(keys.find(id), now));
    return cached.stored()
        .filter(stored -> secret.get().matches(stored.secretHash()))
        .map(ApiKeyRepository.Stored::key)
        .filter(key -> key.isActive(now))
        .map(key -> new CallerIdentity("key:" + key.keyId(), key.tenant(), Set.copyOf(key.roles())));
  }

  public IssuedKey create(CallerIdentity actor, String name, String tenant, List<String> roles, Instant expiresAt) {
    String targetTenant = tenant == null || tenant.isBlank() ? actor.tenant() : tenant;
    validate(name, targetTenant, roles, expiresAt);
    mayManage(actor, targetTenant);
    if (roles.contains(Roles.ADMIN) && !Roles.includes(actor.roles(), Roles.ADMIN)) {
      throw new PermissionDeniedException("only an admin may grant the role admin");
    }
    return issue(new LinkedHashSet<>(roles).stream().toList(), name.strip(), targetTenant, actor.subject(), expiresAt, null);
  }

  public List<ApiKey> list(CallerIdentity actor, String tenant) {
    if (Roles.includes(actor.roles(), Roles.ADMIN)) {
      return keys.list(tenant == null || tenant.isBlank() ? null : tenant);
    }
    if (tenant != null && !tenant.isBlank() && !tenant.equals(actor.tenant())) {
      return List.of();
    }
    return keys.list(actor.tenant());
  }

  public ApiKey get(CallerIdentity actor, String keyId) {
    return visible(actor, keyId);
  }

  /** A new key with the old one's grants; the old one is revoked at once. */
  public IssuedKey rotate(CallerIdentity actor, String keyId) {
    ApiKey old = visible(actor, keyId);
    if (!old.isActive(clock.instant())) {
      throw new InvalidArgumentException("keyId", "key " + keyId + " is revoked or expired; make a new one instead");
    }
    IssuedKey fresh = issue(old.roles(), old.name(), old.tenant(), actor.subject(), old.expiresAt(), old.keyId());
    revoke(actor, keyId);
    return fresh;
  }

  public ApiKey revoke(CallerIdentity actor, String keyId) {
    visible(actor, keyId);
    keys.revoke(keyId, clock.instant());
    cache.remove(keyId);
    return keys.find(keyId).orElseThrow().key();
  }

  /** Stores the configured bootstrap key as an admin key of the default tenant, once. */
  public boolean ensureBootstrapAdminKey(String text) {
    ApiKeySecret secret = ApiKeySecret.parse(text).orElseThrow(() -> new IllegalStateException(
        "divergence.gateway.auth.bootstrap-admin-key is not an API key (dvg_<16 hex digits>_<43 base64url characters>)"));
    ApiKey key = new ApiKey(secret.keyId(), "bootstrap admin", TenantContext.DEFAULT_TENANT, List.of(Roles.ADMIN),
        "bootstrap", clock.instant(), null, null, null);
    return keys.insert(key, secret.hash());
  }

  private IssuedKey issue(List<String> roles, String name, String tenant, String by, Instant expiresAt, String rotatedFrom) {
    ApiKeySecret secret = ApiKeySecret.generate();
    ApiKey key = new ApiKey(secret.keyId(), name, tenant, roles, by, clock.instant(), expiresAt, null, rotatedFrom);
    if (!keys.insert(key, secret.hash())) {
      throw new IllegalStateException("a random key id repeated; try again");
    }
    return new IssuedKey(key, secret.text());
  }

  private ApiKey visible(CallerIdentity actor, String keyId) {
    ApiKey key = keys.find(keyId).map(ApiKeyRepository.Stored::key)
        .orElseThrow(() -> new NotFoundException("API key", keyId));
    if (!Roles.includes(actor.roles(), Roles.ADMIN) && !key.tenant().equals(actor.tenant())) {
      throw new NotFoundException("API key", keyId);
    }
    return key;
  }

  private static void mayManage(CallerIdentity actor, String tenant) {
    if (!Roles.includes(actor.roles(), Roles.ADMIN) && !tenant.equals(actor.tenant())) {
      throw new PermissionDeniedException("a tenant admin manages only its own tenant's keys (" + actor.tenant() + ")");
    }
  }

  private void validate(String name, String tenant, List<String> roles, Instant expiresAt) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException("name", "must not be blank");
    }
    if (name.length() > 200) {
      throw new InvalidArgumentException("name", "at most 200 characters, got " + name.length());
    }
    if (!TenantContext.isValid(tenant)) {
      throw new InvalidArgumentException("tenant", "must match [a-z0-9][a-z0-9-]{0,62}, got '" + tenant + "'");
    }
    if (roles == null || roles.isEmpty()) {
      throw new InvalidArgumentException("roles", "at least one of " + Roles.GRANTABLE);
    }
    for (String role : roles) {
      if (!Roles.GRANTABLE.contains(role)) {
        throw new InvalidArgumentException("roles", "unknown role '" + role + "'; one of " + Roles.GRANTABLE);
      }
    }
    if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
      throw new InvalidArgumentException("expiresAt", "must be in the future, got " + expiresAt);
    }
  }
}
