package dev.divergence.merging.store;

import dev.divergence.merging.experiment.ExperimentProgress;
import dev.divergence.merging.experiment.ExperimentResults;
import dev.divergence.merging.experiment.ExperimentSpec;
import dev.divergence.merging.experiment.ExperimentState;
import dev.divergence.merging.experiment.MergeExperiment;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** Merge experiments in the merging schema (Flyway V2__merge_experiments.sql); state changes are compare-and-set on the expected state. */
@Repository
public class ExperimentRepository {

  private final JdbcTemplate jdbc;
  private final JsonMapper json;

  public ExperimentRepository(JdbcTemplate jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /** @return false when the tenant already has an experiment with this idempotency key */
  public boolean insert(MergeExperiment experiment) {
    String mergeId = experiment.spec().mergeId();
    return jdbc.update(
        "INSERT INTO merge_experiment (id, tenant, display_name, idempotency_key, merge_id, spec, state, progress_total, created_at,"
            + " updated_at) VALUES (?, ?, ?, ?, ?, ?::json, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        experiment.id(), experiment.tenant(), experiment.displayName(), experiment.idempotencyKey(),
        mergeId == null ? null : UUID.fromString(mergeId), json.writeValueAsString(experiment.spec()), experiment.state().name(),
        experiment.progress().total(), ts(experiment.createdAt()), ts(experiment.updatedAt())) == 1;
  }

  public Optional<MergeExperiment> find(UUID id) {
    return jdbc.query("SELECT * FROM merge_experiment WHERE id = ?", this::map, id).stream().findFirst();
  }

  /** The experiment if it exists and belongs to {@code tenant}: other tenants' experiments are not found. */
  public Optional<MergeExperiment> find(String tenant, UUID id) {
    return jdbc.query("SELECT * FROM merge_experiment WHERE tenant = ? AND id = ?", this::map, tenant, id).stream().findFirst();
  }

  public Optional<MergeExperiment> findByIdempotencyKey(String tenant, String key) {
    return jdbc.query("SELECT * FROM merge_experiment WHERE tenant = ? AND idempotency_key = ?", this::map, tenant, key)
        .stream().findFirst();
  }

  public record Filter(ExperimentState state, UUID mergeId) {}

  /** Newest first, keyset-paged after (createdAt, id) of the previous page's last experiment. */
  public List<MergeExperiment> list(String tenant, Filter filter, Instant afterCreatedAt, UUID afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM merge_experiment WHERE tenant = ?");
    List<Object> args = new ArrayList<>(List.of(tenant));
    if (filter.state() != null) {
      sql.append(" AND state = ?");
      args.add(filter.state().name());
    }
    if (filter.mergeId() != null) {
      sql.append(" AND merge_id = ?");
      args.add(filter.mergeId());
    }
    if (afterCreatedAt != null) {
      sql.append(" AND (created_at, id) < (?, ?)");
      args.add(ts(afterCreatedAt));
      args.add(afterId);
    }
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.add(limit);
    return jdbc.query(sql.toString(), this::map, args.toArray());
  }

  /** Claims the oldest QUEUED experiment for a worker, skipping rows other workers hold. */
  public Optional<MergeExperiment> claimNext(String worker, Instant now) {
    return jdbc.query(
        "UPDATE merge_experiment SET state = 'RUNNING', worker = ?, heartbeat_at = ?, updated_at = ?, attempt = attempt + 1,"
            + " started_at = COALESCE(started_at, ?), reason = NULL, message = NULL"
            + " WHERE id = (SELECT id FROM merge_experiment WHERE state = 'QUEUED' AND NOT cancel_requested"
            + "   ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING *",
        this::map, worker, ts(now), ts(now), ts(now)).stream().findFirst();
  }

  public void progress(UUID id, ExperimentProgress progress, Instant now) {
    jdbc.update("UPDATE merge_experiment SET progress_done = ?, progress_total = ?, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
        progress.done(), progress.total(), ts(now), id);
  }

  /** Sets (or with nulls clears) a RUNNING experiment's reason and message, e.g. while it waits for its models. */
  public void note(UUID id, String reason, String message, Instant now) {
    jdbc.update("UPDATE merge_experiment SET reason = ?, message = ?, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
        reason, message, ts(now), id);
  }

  /** Ends a RUNNING experiment; false when it was no longer RUNNING (e.g. requeued meanwhile). */
  public boolean finish(UUID id, ExperimentState next, String reason, String message, ExperimentResults results, Instant now) {
    return jdbc.update(
        "UPDATE merge_experiment SET state = ?, reason = ?, message = ?, results = ?::json, updated_at = ?, finished_at = ?,"
            + " worker = NULL, progress_done = CASE WHEN ? THEN progress_total ELSE progress_done END"
            + " WHERE id = ? AND state = 'RUNNING'",
        next.name(), reason, message, results == null ? null : json.writeValueAsString(results), ts(now), ts(now),
        next == ExperimentState.SUCCEEDED, id) == 1;
  }

  /** Cancels a QUEUED experiment at once; false when it was no longer QUEUED. */
  public boolean cancelQueued(UUID id, Instant now) {
    return jdbc.update("UPDATE merge_experiment SET state = 'CANCELLED', reason = 'cancelled-by-user', updated_at = ?,"
        + " finished_at = ?, cancel_requested = true WHERE id = ? AND state = 'QUEUED'", ts(now), ts(now), id) == 1;
  }

  /** Flags a RUNNING experiment for its worker, which stops before its next evaluation. */
  public boolean requestCancel(UUID id, Instant now) {
    return jdbc.update("UPDATE merge_experiment SET cancel_requested = true, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
        ts(now), id) == 1;
  }

  /** Heartbeats the experiments a worker holds; returns those whose cancellation was requested. */
  public List<UUID> heartbeat(String worker, List<UUID> ids, Instant now) {
    if (ids.isEmpty()) {
      return List.of();
    }
    return jdbc.query("UPDATE merge_experiment SET heartbeat_at = ? WHERE worker = ? AND state = 'RUNNING' AND id = ANY (?)"
        + " RETURNING id, cancel_requested", (rs, i) -> rs.getBoolean("cancel_requested") ? rs.getObject("id", UUID.class) : null,
        ts(now), worker, ids.toArray(UUID[]::new)).stream().filter(Objects::nonNull).toList();
  }

  /** A RUNNING experiment its worker hands back (it is stopping); another worker runs it again from scratch. */
  public void requeue(UUID id, String reason, Instant now) {
    jdbc.update("UPDATE merge_experiment SET state = 'QUEUED', worker = NULL, reason = ?, updated_at = ?, progress_done = 0"
        + " WHERE id = ? AND state = 'RUNNING'", reason, ts(now), id);
  }

  /** RUNNING experiments whose worker stopped heartbeating go back to the queue (an experiment is repeatable from scratch). */
  public List<MergeExperiment> requeueLost(Instant heartbeatBefore, Instant now) {
    return jdbc.query("UPDATE merge_experiment SET state = 'QUEUED', worker = NULL, reason = 'worker-lost', updated_at = ?,"
        + " progress_done = 0 WHERE state = 'RUNNING' AND heartbeat_at < ? RETURNING *", this::map, ts(now), ts(heartbeatBefore));
  }

  private MergeExperiment map(ResultSet rs, int row) throws SQLException {
    String results = rs.getString("results");
    return new MergeExperiment(
        rs.getObject("id", UUID.class), rs.getString("tenant"), rs.getString("display_name"), rs.getString("idempotency_key"),
        json.readValue(rs.getString("spec"), ExperimentSpec.class), ExperimentState.valueOf(rs.getString("state")),
        new ExperimentProgress(rs.getLong("progress_done"), rs.getLong("progress_total")), rs.getString("reason"),
        rs.getString("message"), results == null ? null : json.readValue(results, ExperimentResults.class), rs.getInt("attempt"),
        instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "finished_at"), instant(rs, "updated_at"));
  }

  private static Timestamp ts(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp value = rs.getTimestamp(column);
    return value == null ? null : value.toInstant();
  }
}
