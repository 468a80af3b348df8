package dev.divergence.gateway.auth;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** API keys in the gateway's schema. */
@Repository
public class ApiKeyRepository {

  /** A stored key with the hash its presented secret must match. */
  public record Stored(ApiKey key, byte[] secretHash) {}

  private final JdbcTemplate jdbc;

  public ApiKeyRepository(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** False when a key with this id exists already (ids are random; the bootstrap key may be inserted twice). */
  public boolean insert(ApiKey key, byte[] secretHash) {
    return jdbc.update("INSERT INTO api_key (key_id, name, tenant, roles, secret_hash, created_by, created_at, expires_at,"
        + " revoked_at, rotated_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
        ps -> {
          ps.setString(1, key.keyId());
          ps.setString(2, key.name());
          ps.setString(3, key.tenant());
          ps.setArray(4, ps.getConnection().createArrayOf("text", key.roles().toArray()));
          ps.setBytes(5, secretHash);
          ps.setString(6, key.createdBy());
          ps.setTimestamp(7, Timestamp.from(key.createdAt()));
          ps.setTimestamp(8, key.expiresAt() == null ? null : Timestamp.from(key.expiresAt()));
          ps.setTimestamp(9, key.revokedAt() == null ? null : Timestamp.from(key.revokedAt()));
          ps.setString(10, key.rotatedFrom());
        }) == 1;
  }

  public Optional<Stored> find(String keyId) {
    return jdbc.query("SELECT * FROM api_key WHERE key_id = ?", (rs, n) -> new Stored(map(rs), rs.getBytes("secret_hash")),
        keyId).stream().findFirst();
  }

  /** Keys of one tenant, or of every tenant when {@code tenant} is null, newest first. */
  public List<ApiKey> list(String tenant) {
    return tenant == null
        ? jdbc.query("SELECT * FROM api_key ORDER BY created_at DESC, key_id", (rs, n) -> map(rs))
        : jdbc.query("SELECT * FROM api_key WHERE tenant = ? ORDER BY created_at DESC, key_id", (rs, n) -> map(rs), tenant);
  }

  /** Revokes a key unless it is revoked already; false when there was nothing to revoke. */
  public boolean revoke(String keyId, Instant at) {
    return jdbc.update("UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
        Timestamp.from(at), keyId) == 1;
  }

  private static ApiKey map(ResultSet rs) throws SQLException {
    Array roles = rs.getArray("roles");
    return new ApiKey(rs.getString("key_id"), rs.getString("name"), rs.getString("tenant"),
        Arrays.asList((String[]) roles.getArray()), rs.getString("created_by"), instant(rs, "created_at"),
        instant(rs, "expires_at"), instant(rs, "revoked_at"), rs.getString("rotated_from"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp value = rs.getTimestamp(column);
    return value == null ? null : value.toInstant();
  }
}
