package dev.divergence.training.store;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Jobs in the training schema. */
@Repository
public class JobRepository {

  private static final TypeReference<Map<String, Double>> PARAMETERS = new TypeReference<>() {};
  private static final String COLUMNS = "job_id, tenant, idempotency_key, display_name, algorithm, divergence, base_model,"
      + " teacher_model, dataset, max_steps, parameters::text, state, attempt, created_at, updated_at";

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
        "INSERT INTO training_job (job_id, tenant, idempotency_key, display_name, algorithm, divergence, base_model,"
            + " teacher_model, dataset, max_steps, parameters, state, attempt, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)"
            + " ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        job.id(), job.tenant(), job.idempotencyKey(), job.displayName(), spec.algorithm(), spec.divergence(),
        spec.baseModel(), spec.teacherModel(), spec.dataset(), spec.maxSteps(),
        json.writeValueAsString(spec.parameters()), job.state().name(), job.attempt(),
        Timestamp.from(job.createdAt()), Timestamp.from(job.updatedAt())) == 1;
  }

  public Optional<Job> find(String tenant, UUID jobId) {
    return jdbc.query("SELECT " + COLUMNS + " FROM training_job WHERE tenant = ? AND job_id = ?", this::map, tenant, jobId)
        .stream().findFirst();
  }

  public Optional<Job> findByIdempotencyKey(String tenant, String key) {
    return jdbc.query("SELECT " + COLUMNS + " FROM training_job WHERE tenant = ? AND idempotency_key = ?", this::map, tenant, key)
        .stream().findFirst();
  }

  private Job map(ResultSet rs, int row) throws SQLException {
    JobSpec spec = new JobSpec(rs.getString("algorithm"), rs.getString("divergence"), rs.getString("base_model"),
        rs.getString("teacher_model"), rs.getString("dataset"), rs.getLong("max_steps"),
        json.readValue(rs.getString("parameters"), PARAMETERS));
    return new Job(rs.getObject("job_id", UUID.class), rs.getString("tenant"), rs.getString("idempotency_key"),
        rs.getString("display_name"), spec, JobState.valueOf(rs.getString("state")), rs.getInt("attempt"),
        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
  }
}
