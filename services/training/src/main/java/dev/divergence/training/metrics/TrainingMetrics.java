package dev.divergence.training.metrics;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The training service's meters ({@code divergence.training.*}, docs/observability.md):
 * <ul>
 *   <li>{@code divergence.training.jobs.ended} ({@code state}, {@code algorithm}): a job entering a final state
 *       (SUCCEEDED, FAILED, CANCELLED). Counted per job end, not per attempt: an attempt that is abandoned and
 *       requeued (worker lost or stopping) does not end the job and is not counted here; a job that a user
 *       retries and that ends again counts again, since each retry is a run the user asked for.</li>
 *   <li>{@code divergence.training.jobs.active} ({@code state}: queued, running): jobs in that state now, read
 *       from the database when scraped (every replica reports the same shared number: aggregate with max).</li>
 *   <li>{@code divergence.training.step.duration} ({@code algorithm}): time between two consecutive steps of
 *       one attempt (the first step of an attempt is not timed: it includes loading models and data).</li>
 *   <li>{@code divergence.training.attempts.abandoned} ({@code reason}: worker-lost, worker-stopped, and the
 *       Kubernetes runner's kubernetes:&lt;why&gt;): attempts whose worker went away; the job is requeued, or
 *       fails after its last attempt (and is then counted as a failed job end too).</li>
 * </ul>
 * The counters move only once the transaction that changed the job commits, so a rolled back change is
 * not counted.
 */
@Component
public class TrainingMetrics {

  public static final String JOBS_ENDED = "divergence.training.jobs.ended";
  public static final String JOBS_ACTIVE = "divergence.training.jobs.active";
  public static final String STEP_DURATION = "divergence.training.step.duration";
  public static final String ATTEMPTS_ABANDONED = "divergence.training.attempts.abandoned";

  /** The reasons {@code JobExecution} and the runners abandon an attempt with. */
  public static final String WORKER_LOST = "worker-lost";
  public static final String WORKER_STOPPED = "worker-stopped";

  /** Consecutive scrapes (and the two state gauges of one scrape) share one count query. */
  private static final long COUNT_CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final Logger log = LoggerFactory.getLogger(TrainingMetrics.class);

  private final MeterRegistry registry;
  private final JdbcTemplate jdbc;
  private Map<JobState, Long> activeCounts = Map.of();
  private long activeCountsReadAt = System.nanoTime() - 2 * COUNT_CACHE_NANOS;

  public TrainingMetrics(MeterRegistry registry, JdbcTemplate jdbc) {
    this.registry = registry;
    this.jdbc = jdbc;
    for (JobState state : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
      Gauge.builder(JOBS_ACTIVE, this, metrics -> metrics.active(state))
          .description("Training jobs in this state now (the shared database's count)")
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
    // registered at zero, so that an alert on a rate of them has a series before the first one happens
    abandoned(WORKER_LOST);
    abandoned(WORKER_STOPPED);
  }

  /** A job entered {@code state}, a final one; counted when the current transaction commits. */
  public void jobEnded(Job job, JobState state) {
    Counter counter = Counter.builder(JOBS_ENDED).description("Training jobs that reached a final state")
        .tag("state", state.name().toLowerCase(Locale.ROOT)).tag("algorithm", job.spec().algorithm())
        .register(registry);
    afterCommit(counter::increment);
  }

  /** An attempt's worker went away ({@code reason}: worker-lost, worker-stopped, kubernetes:&lt;why&gt;). */
  public void attemptAbandoned(String reason) {
    Counter counter = abandoned(reason);
    afterCommit(counter::increment);
  }

  /** One step of an attempt of {@code algorithm} took {@code duration}. */
  public void stepTook(String algorithm, Duration duration) {
    Timer.builder(STEP_DURATION).description("Time of one training step (between consecutive step reports)")
        .tag("algorithm", algorithm)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry)
        .record(duration);
  }

  private Counter abandoned(String reason) {
    return Counter.builder(ATTEMPTS_ABANDONED)
        .description("Job attempts abandoned because their worker was lost or stopped")
        .tag("reason", reason).register(registry);
  }

  private double active(JobState state) {
    Map<JobState, Long> counts = activeCounts();
    return counts == null ? Double.NaN : counts.getOrDefault(state, 0L);
  }

  private synchronized Map<JobState, Long> activeCounts() {
    long now = System.nanoTime();
    if (now - activeCountsReadAt >= COUNT_CACHE_NANOS) {
      try {
        Map<JobState, Long> counts = new EnumMap<>(JobState.class);
        jdbc.query("SELECT state, count(*) AS jobs FROM training_job WHERE state IN ('QUEUED', 'RUNNING') GROUP BY state",
            row -> {
              counts.put(JobState.valueOf(row.getString("state")), row.getLong("jobs"));
            });
        activeCounts = counts;
      } catch (RuntimeException e) {
        // a scrape while the database is away shows no number (NaN) rather than an old one
        log.debug("could not count the active training jobs: {}", e.getMessage());
        activeCounts = null;
      }
      activeCountsReadAt = now;
    }
    return activeCounts;
  }

  private static void afterCommit(Runnable action) {
    if (TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void afterCommit() {
          action.run();
        }
      });
    } else {
      action.run();
    }
  }
}
