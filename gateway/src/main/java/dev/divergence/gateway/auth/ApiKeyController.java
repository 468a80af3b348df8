package dev.divergence.gateway.auth;

import dev.divergence.platform.tenancy.CallerIdentity;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The admin API for API keys (docs/security.md). A key's text is in the answer to its creation or
 * rotation and nowhere else: store it then.
 */
@RestController
@RequestMapping("/api/v1/admin/api-keys")
public class ApiKeyController {

  /** What a caller asks for: a name, the roles, and optionally the tenant (default: the caller's) and an expiry. */
  public record CreateKeyRequest(String name, String tenant, List<String> roles, Instant expiresAt) {}

  /** A key as listed: never its secret. */
  public record KeyView(String keyId, String name, String tenant, List<String> roles, String createdBy,
      Instant createdAt, Instant expiresAt, Instant revokedAt, String rotatedFrom, boolean active) {

    static KeyView of(ApiKey key) {
      return new KeyView(key.keyId(), key.name(), key.tenant(), key.roles(), key.createdBy(), key.createdAt(),
          key.expiresAt(), key.revokedAt(), key.rotatedFrom(), key.isActive(Instant.now()));
    }
  }

  /** A key just made: its view and, this once, its text. */
  public record IssuedKeyView(KeyView key, String apiKey) {}

  private final ApiKeyService keys;

  public ApiKeyController(ApiKeyService keys) {
    this.keys = keys;
  }

  @PostMapping
  public ResponseEntity<IssuedKeyView> create(@RequestBody CreateKeyRequest request) {
    if (request == null) {
      throw new dev.divergence.platform.errors.InvalidArgumentException("body", "a JSON object with name and roles");
    }
    ApiKeyService.IssuedKey issued = keys.create(caller(), request.name(), request.tenant(), request.roles(),
        request.expiresAt());
    return ResponseEntity.created(URI.create("/api/v1/admin/api-keys/" + issued.key().keyId()))
        .body(new IssuedKeyView(KeyView.of(issued.key()), issued.text()));
  }

  @GetMapping
  public Map<String, List<KeyView>> list(@RequestParam(name = "tenant", required = false) String tenant) {
    return Map.of("keys", keys.list(caller(), tenant).stream().map(KeyView::of).toList());
  }

  @GetMapping("/{keyId}")
  public KeyView get(@PathVariable("keyId") String keyId) {
    return KeyView.of(keys.get(caller(), keyId));
  }

  @PostMapping("/{keyId}/rotate")
  public ResponseEntity<IssuedKeyView> rotate(@PathVariable("keyId") String keyId) {
    ApiKeyService.IssuedKey issued = keys.rotate(caller(), keyId);
    return ResponseEntity.created(URI.create("/api/v1/admin/api-keys/" + issued.key().keyId()))
        .body(new IssuedKeyView(KeyView.of(issued.key()), issued.text()));
  }

  @DeleteMapping("/{keyId}")
  public KeyView revoke(@PathVariable("keyId") String keyId) {
    return KeyView.of(keys.revoke(caller(), keyId));
  }

  private static CallerIdentity caller() {
    return CallerAuthentication.current().orElseThrow(() -> new IllegalStateException("the security chain let an anonymous caller in"));
  }
}
