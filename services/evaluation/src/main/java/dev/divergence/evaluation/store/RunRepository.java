package dev.divergence.evaluation.store;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunProgress;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Evaluation runs in the evaluation schema; state changes are compare-and-set on the expected state. */
@Repository
public class RunRepository {

  private static final TypeReference<List<SuiteResult>> RESULTS = new TypeReference<>() {};

  private final JdbcTemplate jdbc;
  private final JsonMapper json;

  public RunRepository(JdbcTemplate jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /** @return false when the run's idempotency key (per tenant) or automatic model version already exists */
  public boolean insert(EvaluationRun run) {
    return jdbc.update(
        "INSERT INTO evaluation_run (id, tenant, display_name, idempotency_key, spec, state, trigger, model, model_version,"
            + " producing_job, progress_total, created_at, updated_at) VALUES (?, ?, ?, ?, ?::json, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT DO NOTHING",
        run.id(), run.tenant(), run.displayName(), run.idempotencyKey(), json.writeValueAsString(run.spec()),
        run.state().name(), run.trigger().apiName(), run.spec().model(), run.modelVersion(), run.producingJob(),
        run.progress().total(), ts(run.createdAt()), ts(run.updatedAt())) == 1;
  }

  public Optional<EvaluationRun> find(UUID id) {
    return jdbc.query("SELECT * FROM evaluation_run WHERE id = ?", this::map, id).stream().findFirst();
  }

  public Optional<EvaluationRun> find(String tenant, UUID id) {
    return jdbc.query("SELECT * FROM evaluation_run WHERE tenant = ? AND id = ?", this::map, tenant, id).stream().findFirst();
  }

  public Optional<EvaluationRun> findByIdempotencyKey(String tenant, String key) {
    return jdbc.query("SELECT * FROM evaluation_run WHERE tenant = ? AND idempotency_key = ?", this::map, tenant, key)
        .stream().findFirst();
  }

  public Optional<EvaluationRun> findAutomatic(String modelVersion) {
    return jdbc.query("SELECT * FROM evaluation_run WHERE trigger = 'automatic' AND model_version = ?", this::map,
        modelVersion).stream().findFirst();
  }

  public List<EvaluationRun> ofProducingJob(String tenant, String jobId) {
    return jdbc.query("SELECT * FROM evaluation_run WHERE tenant = ? AND producing_job = ? ORDER BY created_at DESC LIMIT 100",
        this::map, tenant, jobId);
  }

  public record Filter(RunState state, String model, String trigger, List<UUID> ids) {}

  /** Newest first, keyset-paged after (createdAt, id) of the previous page's last run. */
  public List<EvaluationRun> list(String tenant, Filter filter, Instant afterCreatedAt, UUID afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM evaluation_run WHERE tenant = ?");
    List<Object> args = new ArrayList<>(List.of(tenant));
    if (filter.state() != null) {
      sql.append(" AND state = ?");
      args.add(filter.state().name());
    }
    if (filter.model() != null) {
      sql.append(" AND model = ?");
      args.add(filter.model());
    }
    if (filter.trigger() != null) {
      sql.append(" AND trigger = ?");
      args.add(filter.trigger());
    }
    if (filter.ids() != null) {
      sql.append(" AND id = ANY (?)");
      args.add(filter.ids().toArray(UUID[]::new));
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

  /** Claims the oldest QUEUED run for a worker, skipping rows other workers hold. */
  public Optional<EvaluationRun> claimNext(String worker, Instant now) {
    return jdbc.query(
        "UPDATE evaluation_run SET state = 'RUNNING', worker = ?, heartbeat_at = ?, updated_at = ?, attempt = attempt + 1,"
            + " started_at = COALESCE(started_at, ?), reason = NULL, message = NULL"
            + " WHERE id = (SELECT id FROM evaluation_run WHERE state = 'QUEUED' AND NOT cancel_requested"
            + "   ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING *",
        this::map, worker, ts(now), ts(now), ts(now)).stream().findFirst();
  }

  public void progress(UUID id, RunProgress progress, Instant now) {
    jdbc.update("UPDATE evaluation_run SET progress_done = ?, progress_total = ?, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
        progress.done(), progress.total(), ts(now), id);
  }

  /** Ends a RUNNING run; false when it was no longer RUNNING (e.g. cancelled meanwhile). */
  public boolean finish(UUID id, RunState next, String reason, String message, List<SuiteResult> results, Instant now) {
    return jdbc.update(
        "UPDATE evaluation_run SET state = ?, reason = ?, message = ?, results = ?::json, updated_at = ?, finished_at = ?,"
            + " worker = NULL, progress_done = CASE WHEN ? THEN progress_total ELSE progress_done END"
            + " WHERE id = ? AND state = 'RUNNING'",
        next.name(), reason, message, results == null ? null : json.writeValueAsString(results), ts(now), ts(now),
        next == RunState.SUCCEEDED, id) == 1;
  }

  /** Cancels a QUEUED run at once; a RUNNING one is flagged for its worker. @return the state it was in */
  public boolean cancelQueued(UUID id, Instant now) {
    return jdbc.update("UPDATE evaluation_run SET state = 'CANCELLED', reason = 'cancelled-by-user', updated_at = ?,"
        + " finished_at = ?, cancel_requested = true WHERE id = ? AND state = 'QUEUED'", ts(now), ts(now), id) == 1;
  }

  public boolean requestCancel(UUID id, Instant now) {
    return jdbc.update("UPDATE evaluation_run SET cancel_requested = true, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
        ts(now), id) == 1;
  }

  /** Heartbeats the runs a worker holds; returns those whose cancellation was requested. */
  public List<UUID> heartbeat(String worker, List<UUID> ids, Instant now) {
    if (ids.isEmpty()) {
      return List.of();
    }
    return jdbc.query("UPDATE evaluation_run SET heartbeat_at = ? WHERE worker = ? AND state = 'RUNNING' AND id = ANY (?)"
        + " RETURNING id, cancel_requested", (rs, i) -> rs.getBoolean("cancel_requested") ? rs.getObject("id", UUID.class) : null,
        ts(now), worker, ids.toArray(UUID[]::new)).stream().filter(java.util.Objects::nonNull).toList();
  }

  /** A RUNNING run its worker hands back (it is stopping); another worker runs it again from scratch. */
  public void requeue(UUID id, String reason, Instant now) {
    jdbc.update("UPDATE evaluation_run SET state = 'QUEUED', worker = NULL, reason = ?, updated_at = ?, progress_done = 0"
        + " WHERE id = ? AND state = 'RUNNING'", reason, ts(now), id);
  }

  /** RUNNING runs whose worker stopped heartbeating go back to the queue (a run is repeatable from scratch). */
  public List<EvaluationRun> requeueLost(Instant heartbeatBefore, Instant now) {
    return jdbc.query("UPDATE evaluation_run SET state = 'QUEUED', worker = NULL, reason = 'worker-lost', updated_at = ?,"
        + " progress_done = 0 WHERE state = 'RUNNING' AND heartbeat_at < ? RETURNING *", this::map, ts(now), ts(heartbeatBefore));
  }

  private EvaluationRun map(ResultSet rs, int row) throws SQLException {
    String results = rs.getString("results");
    return new EvaluationRun(
        rs.getObject("id", UUID.class), rs.getString("tenant"), rs.getString("display_name"),
        rs.getString("idempotency_key"), json.readValue(rs.getString("spec"), RunSpec.class),
        RunState.valueOf(rs.getString("state")), EvaluationRun.Trigger.valueOf(rs.getString("trigger").toUpperCase()),
        rs.getString("model_version"), rs.getString("producing_job"),
        new RunProgress(rs.getLong("progress_done"), rs.getLong("progress_total")), rs.getString("reason"),
        rs.getString("message"), results == null ? List.of() : json.readValue(results, RESULTS), rs.getInt("attempt"),
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
