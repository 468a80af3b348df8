package dev.divergence.training.store;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.job.Progress;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/** Jobs in the training schema; state changes are compare-and-set on the expected state. */
@Repository
public class JobRepository {

  private final JdbcTemplate jdbc;
  private final JsonMapper json;

  public JobRepository(JdbcTemplate jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /** @return false when the tenant already has a job with this idempotency key */
  public boolean insert(Job job) {
    JobSpec spec = job.spec();
    return jdbc.update(
        "INSERT INTO training_job (job_id, tenant, idempotency_key, display_name, algorithm, divergence, model, dataset,"
            + " spec, state, attempt, total_steps, reason, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        job.id(), job.tenant(), job.idempotencyKey(), job.displayName(), spec.algorithm(), spec.divergenceName(),
        spec.model(), spec.dataset(), json.writeValueAsString(spec), job.state().name(), job.attempt(),
        job.progress().totalSteps(), job.reason(), ts(job.createdAt()), ts(job.updatedAt())) == 1;
  }

  /**
   * The tenant's QUEUED and RUNNING jobs, counted under a transaction-scoped advisory lock of the
   * tenant, so concurrent submissions of one tenant count one after the other.
   */
  public long lockTenantAndCountActive(String tenant) {
    jdbc.queryForObject("SELECT pg_advisory_xact_lock(hashtext('training_job_quota:' || ?))", Object.class, tenant);
    return jdbc.queryForObject("SELECT count(*) FROM training_job WHERE tenant = ? AND state IN ('QUEUED', 'RUNNING')",
        Long.class, tenant);
  }

  public Optional<Job> find(String tenant, UUID jobId) {
    return jdbc.query("SELECT * FROM training_job WHERE tenant = ? AND job_id = ?", this::map, tenant, jobId).stream().findFirst();
  }

  public Optional<Job> find(UUID jobId) {
    return jdbc.query("SELECT * FROM training_job WHERE job_id = ?", this::map, jobId).stream().findFirst();
  }

  /** Locks the job row for the rest of the transaction. */
  public Optional<Job> lock(String tenant, UUID jobId) {
    return jdbc.query("SELECT * FROM training_job WHERE tenant = ? AND job_id = ? FOR UPDATE", this::map, tenant, jobId)
        .stream().findFirst();
  }

  public Optional<Job> findByIdempotencyKey(String tenant, String key) {
    return jdbc.query("SELECT * FROM training_job WHERE tenant = ? AND idempotency_key = ?", this::map, tenant, key)
        .stream().findFirst();
  }

  /** Newest first, keyset-paged after (createdAt, id) of the previous page's last job. */
  public List<Job> list(String tenant, JobFilter filter, PageCursor after, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM training_job WHERE tenant = ?");
    List<Object> args = new ArrayList<>(List.of(tenant));
    if (filter.state() != null) {
      sql.append(" AND state = ?");
      args.add(filter.state().name());
    }
    if (filter.algorithm() != null) {
      sql.append(" AND algorithm = ?");
      args.add(filter.algorithm());
    }
    if (filter.model() != null) {
      sql.append(" AND model = ?");
      args.add(filter.model());
    }
    if (after != null) {
      sql.append(" AND (created_at, job_id) < (?, ?)");
      args.add(ts(after.createdAt()));
      args.add(after.jobId());
    }
    sql.append(" ORDER BY created_at DESC, job_id DESC LIMIT ?");
    args.add(limit);
    return jdbc.query(sql.toString(), this::map, args.toArray());
  }

  /** Claims the oldest QUEUED job for a worker, skipping rows other workers hold. */
  public Optional<Job> claimNext(String worker, Instant now) {
    return jdbc.query(
        "UPDATE training_job SET state = 'RUNNING', worker = ?, heartbeat_at = ?, updated_at = ?,"
            + " started_at = COALESCE(started_at, ?), reason = NULL, message = NULL"
            + " WHERE job_id = (SELECT job_id FROM training_job WHERE state = 'QUEUED' AND NOT cancel_requested"
            + "   ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING *",
        this::map, worker, ts(now), ts(now), ts(now)).stream().findFirst();
  }

  /** Claims one given QUEUED job (worker mode runs exactly the job it was started for). */
  public Optional<Job> claim(UUID jobId, String worker, Instant now) {
    return jdbc.query(
        "UPDATE training_job SET state = 'RUNNING', worker = ?, heartbeat_at = ?, updated_at = ?,"
            + " started_at = COALESCE(started_at, ?), reason = NULL, message = NULL"
            + " WHERE job_id = ? AND state = 'QUEUED' AND NOT cancel_requested RETURNING *",
        this::map, worker, ts(now), ts(now), ts(now), jobId).stream().findFirst();
  }

  /** Moves a job from {@code expected} to {@code next}; false when it was no longer in {@code expected}. */
  public boolean transition(UUID jobId, JobState expected, JobState next, String reason, String message, Instant now) {
    boolean terminal = next.isTerminal();
    return jdbc.update(
        "UPDATE training_job SET state = ?, reason = ?, message = ?, updated_at = ?,"
            + " finished_at = CASE WHEN ? THEN ? ELSE finished_at END,"
            + " worker = CASE WHEN ? THEN NULL ELSE worker END"
            + " WHERE job_id = ? AND state = ?",
        next.name(), reason, message, ts(now), terminal, ts(now), next != JobState.RUNNING, jobId, expected.name()) == 1;
  }

  /** A new attempt: back to QUEUED with attempt + 1, optionally with a new spec. */
  public boolean requeue(UUID jobId, JobState expected, JobSpec spec, String reason, String message, Instant now) {
    return jdbc.update(
        "UPDATE training_job SET state = 'QUEUED', attempt = attempt + 1, spec = ?::jsonb, total_steps = ?,"
            + " reason = ?, message = ?, worker = NULL, heartbeat_at = NULL, cancel_requested = false,"
            + " finished_at = NULL, updated_at = ? WHERE job_id = ? AND state = ?",
        json.writeValueAsString(spec), spec.budget().maxSteps(), reason, message, ts(now), jobId, expected.name()) == 1;
  }

  public boolean requestCancel(UUID jobId, Instant now) {
    return jdbc.update("UPDATE training_job SET cancel_requested = true, updated_at = ? WHERE job_id = ? AND state = 'RUNNING'",
        ts(now), jobId) == 1;
  }

  public void succeed(UUID jobId, String outputModel, Instant now) {
    jdbc.update("UPDATE training_job SET state = 'SUCCEEDED', output_model = ?, reason = 'completed', message = NULL,"
        + " finished_at = ?, updated_at = ?, worker = NULL, eta_seconds = 0 WHERE job_id = ? AND state = 'RUNNING'",
        outputModel, ts(now), ts(now), jobId);
  }

  public void progress(UUID jobId, Progress progress, Instant now) {
    jdbc.update("UPDATE training_job SET progress_step = ?, total_steps = ?, eta_seconds = ?, updated_at = ? WHERE job_id = ?",
        progress.step(), progress.totalSteps(), progress.etaSeconds(), ts(now), jobId);
  }

  /**
   * Heartbeats of a worker's running jobs.
   *
   * @return the jobs this worker still owns, each with whether its cancellation was requested; a
   *     job missing from the map was taken over (its attempt was declared lost) and must stop
   */
  public Map<UUID, Boolean> heartbeat(String worker, List<UUID> jobIds, Instant now) {
    Map<UUID, Boolean> owned = new HashMap<>();
    if (jobIds.isEmpty()) {
      return owned;
    }
    jdbc.query("UPDATE training_job SET heartbeat_at = ? WHERE worker = ? AND state = 'RUNNING' AND job_id = ANY (?)"
            + " RETURNING job_id, cancel_requested",
        rs -> {
          owned.put(rs.getObject(1, UUID.class), rs.getBoolean(2));
        }, ts(now), worker, jobIds.toArray(UUID[]::new));
    return owned;
  }

  /** RUNNING jobs whose worker has not said it is alive since {@code before}. */
  public List<Job> runningWithoutHeartbeatSince(Instant before) {
    return jdbc.query("SELECT * FROM training_job WHERE state = 'RUNNING' AND (heartbeat_at IS NULL OR heartbeat_at < ?)",
        this::map, ts(before));
  }

  private Job map(ResultSet rs, int row) throws SQLException {
    double eta = rs.getDouble("eta_seconds");
    Double etaSeconds = rs.wasNull() ? null : eta;
    return new Job(rs.getObject("job_id", UUID.class), rs.getString("tenant"), rs.getString("idempotency_key"),
        rs.getString("display_name"), json.readValue(rs.getString("spec"), JobSpec.class),
        JobState.valueOf(rs.getString("state")), rs.getInt("attempt"),
        new Progress(rs.getLong("progress_step"), rs.getLong("total_steps"), etaSeconds),
        rs.getString("reason"), rs.getString("message"), instant(rs, "created_at"), instant(rs, "started_at"),
        instant(rs, "finished_at"), instant(rs, "updated_at"), rs.getString("output_model"), rs.getBoolean("cancel_requested"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp value = rs.getTimestamp(column);
    return value == null ? null : value.toInstant();
  }

  private static Timestamp ts(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  /** Filters of the list API; null = any. */
  public record JobFilter(JobState state, String algorithm, String model) {}

  /** Where the previous page ended. */
  public record PageCursor(Instant createdAt, UUID jobId) {}
}
