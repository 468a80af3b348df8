package dev.divergence.training.store;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** A job's attempts, metric history and log lines. */
@Repository
public class JobHistoryRepository {

  private final JdbcTemplate jdbc;

  public JobHistoryRepository(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  public void attemptStarted(UUID jobId, int attempt, String worker, Instant now) {
    jdbc.update("INSERT INTO job_attempt (job_id, attempt, state, worker, started_at) VALUES (?, ?, 'RUNNING', ?, ?)"
        + " ON CONFLICT (job_id, attempt) DO UPDATE SET state = 'RUNNING', worker = EXCLUDED.worker, started_at = EXCLUDED.started_at",
        jobId, attempt, worker, Timestamp.from(now));
  }

  public void attemptEnded(UUID jobId, int attempt, String state, String reason, String message, Instant now) {
    jdbc.update("UPDATE job_attempt SET state = ?, reason = ?, message = ?, finished_at = ? WHERE job_id = ? AND attempt = ?",
        state, reason, message, Timestamp.from(now), jobId, attempt);
  }

  public void metrics(UUID jobId, int attempt, long step, Map<String, Double> values) {
    List<Object[]> rows = new ArrayList<>();
    values.forEach((name, value) -> {
      if (value != null && Double.isFinite(value)) {
        rows.add(new Object[] {jobId, attempt, step, name, value});
      }
    });
    // a resumed attempt re-reports steps after its checkpoint: the latest value wins
    jdbc.batchUpdate("INSERT INTO job_metric (job_id, attempt, step, name, value) VALUES (?, ?, ?, ?, ?)"
        + " ON CONFLICT (job_id, name, step) DO UPDATE SET value = EXCLUDED.value, attempt = EXCLUDED.attempt", rows);
  }

  /** name → (steps, values), steps ascending. */
  public Map<String, Series> metricHistory(UUID jobId, List<String> names) {
    Map<String, Series> series = new LinkedHashMap<>();
    String filter = names.isEmpty() ? "" : " AND name = ANY (?)";
    Object[] args = names.isEmpty() ? new Object[] {jobId} : new Object[] {jobId, names.toArray(String[]::new)};
    jdbc.query("SELECT name, step, value FROM job_metric WHERE job_id = ?" + filter + " ORDER BY name, step", rs -> {
      Series s = series.computeIfAbsent(rs.getString(1), n -> new Series(new ArrayList<>(), new ArrayList<>()));
      s.steps().add(rs.getLong(2));
      s.values().add(rs.getDouble(3));
    }, args);
    return series;
  }

  /** The latest value of each metric. */
  public Map<String, Double> latestMetrics(UUID jobId) {
    Map<String, Double> latest = new LinkedHashMap<>();
    jdbc.query("SELECT DISTINCT ON (name) name, value FROM job_metric WHERE job_id = ? ORDER BY name, step DESC",
        rs -> {
          latest.put(rs.getString(1), rs.getDouble(2));
        }, jobId);
    return latest;
  }

  public void log(UUID jobId, int attempt, String level, String message, Instant now) {
    jdbc.update("INSERT INTO job_log (job_id, attempt, time, level, message) VALUES (?, ?, ?, ?, ?)",
        jobId, attempt, Timestamp.from(now), level, message.length() > 4000 ? message.substring(0, 4000) : message);
  }

  /** The last {@code limit} log lines, oldest first. */
  public List<LogLine> logs(UUID jobId, int limit) {
    List<LogLine> lines = new ArrayList<>(jdbc.query(
        "SELECT time, attempt, level, message FROM job_log WHERE job_id = ? ORDER BY id DESC LIMIT ?",
        (rs, i) -> new LogLine(rs.getTimestamp(1).toInstant(), rs.getInt(2), rs.getString(3), rs.getString(4)), jobId, limit));
    java.util.Collections.reverse(lines);
    return lines;
  }

  /** Every attempt of a job that a worker started, oldest first. */
  public List<Attempt> attempts(UUID jobId) {
    return jdbc.query("SELECT attempt, state, worker, started_at, finished_at, reason, message FROM job_attempt"
        + " WHERE job_id = ? ORDER BY attempt", (rs, i) -> new Attempt(rs.getInt(1), rs.getString(2), rs.getString(3),
            instant(rs.getTimestamp(4)), instant(rs.getTimestamp(5)), rs.getString(6), rs.getString(7)), jobId);
  }

  private static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
  }

  public record Series(List<Long> steps, List<Double> values) {}

  /** One run of a job by a worker: RUNNING while it runs, then how it ended and why. */
  public record Attempt(int attempt, String state, String worker, Instant startedAt, Instant finishedAt, String reason,
      String message) {}

  public record LogLine(Instant time, int attempt, String level, String message) {}
}
