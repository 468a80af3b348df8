package dev.divergence.merging.store;

import java.sql.Timestamp;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The service's own schema (Flyway V1__merges.sql). */
@Repository
public class MergeRepository {

  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final JdbcTemplate jdbc;
  private final JsonMapper json;

  public MergeRepository(JdbcTemplate jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  public void insert(MergeRecord merge) {
    jdbc.update("INSERT INTO model_merge (merge_id, tenant, generalist, expert, method, parameters, created_at)"
        + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?)",
        merge.mergeId(), merge.tenant(), merge.generalist(), merge.expert(), merge.method(), json.writeValueAsString(merge.parameters()),
        Timestamp.from(merge.createdAt()));
  }

  /** The merge if it exists and belongs to {@code tenant}: other tenants' merges are not found. */
  public Optional<MergeRecord> find(String tenant, UUID mergeId) {
    return jdbc.query("SELECT merge_id, tenant, generalist, expert, method, parameters, created_at FROM model_merge"
        + " WHERE tenant = ? AND merge_id = ?",
        (rs, row) -> new MergeRecord(rs.getObject("merge_id", UUID.class), rs.getString("tenant"), rs.getString("generalist"), rs.getString("expert"),
            rs.getString("method"), json.readValue(rs.getString("parameters"), MAP), rs.getTimestamp("created_at").toInstant()),
        tenant, mergeId).stream().findFirst();
  }
}
