package dev.divergence.evaluation.store;

import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

@Repository
public class TrackedTrainingJobRepository {

  private final JdbcTemplate jdbc;

  public TrackedTrainingJobRepository(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** Records a job event: creates the job on first sight, otherwise updates its state. */
  public void applyEvent(TrackedTrainingJob job) {
    jdbc.update(
        "INSERT INTO tracked_training_job (job_id, tenant, algorithm, divergence, base_model, dataset, state, submitted_at,"
            + " last_event_at, events_applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
            + " ON CONFLICT (job_id) DO UPDATE SET state = EXCLUDED.state, last_event_at = EXCLUDED.last_event_at,"
            + " events_applied = tracked_training_job.events_applied + 1",
        job.jobId(), job.tenant(), job.algorithm(), job.divergence(), job.baseModel(), job.dataset(), job.state(),
        Timestamp.from(job.submittedAt()), Timestamp.from(job.lastEventAt()));
  }

  public Optional<TrackedTrainingJob> find(String tenant, UUID jobId) {
    return jdbc.query("SELECT * FROM tracked_training_job WHERE tenant = ? AND job_id = ?", this::map, tenant, jobId)
        .stream().findFirst();
  }

  /** The job that produced a model, whatever its tenant (an automatic evaluation runs in the job's tenant). */
  public Optional<TrackedTrainingJob> find(UUID jobId) {
    return jdbc.query("SELECT * FROM tracked_training_job WHERE job_id = ?", this::map, jobId).stream().findFirst();
  }

  public List<TrackedTrainingJob> recent(String tenant, int limit) {
    return jdbc.query("SELECT * FROM tracked_training_job WHERE tenant = ? ORDER BY submitted_at DESC LIMIT ?",
        this::map, tenant, limit);
  }

  private TrackedTrainingJob map(ResultSet rs, int row) throws SQLException {
    return new TrackedTrainingJob(rs.getObject("job_id", UUID.class), rs.getString("tenant"), rs.getString("algorithm"),
        rs.getString("divergence"), rs.getString("base_model"), rs.getString("dataset"), rs.getString("state"),
        rs.getTimestamp("submitted_at").toInstant(), rs.getTimestamp("last_event_at").toInstant(),
        rs.getInt("events_applied"));
  }
}
