package dev.divergence.training.job;

import dev.divergence.platform.errors.ConflictException;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.errors.QuotaExceededException;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.training.events.JobEventPublisher;
import dev.divergence.training.metrics.TrainingMetrics;
import dev.divergence.training.store.JobHistoryRepository;
import dev.divergence.training.store.JobRepository;
import dev.divergence.training.store.JobRepository.JobFilter;
import dev.divergence.training.store.JobRepository.PageCursor;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The job API's use cases: submit, read, list, cancel, retry, history. */
@Service
public class JobService {

  public static final int MAX_PAGE_SIZE = 200;

  private final JobRepository jobs;
  private final JobHistoryRepository history;
  private final JobEventPublisher events;
  private final JobSpecValidator validator;
  private final JobWakeUp wakeUp;
  private final Clock clock;
  private final JobQuotaProperties quotas;
  private final TrainingMetrics metrics;

  public JobService(JobRepository jobs, JobHistoryRepository history, JobEventPublisher events,
      JobSpecValidator validator, JobWakeUp wakeUp, Clock clock, JobQuotaProperties quotas, TrainingMetrics metrics) {
    this.quotas = quotas;
    this.metrics = metrics;
    this.jobs = jobs;
    this.history = history;
    this.events = events;
    this.validator = validator;
    this.wakeUp = wakeUp;
    this.clock = clock;
  }

  /**
   * What {@link #submit} would accept and store, without storing anything: the same validation
   * (registries included) and the spec with its defaults filled in. Quotas are not checked, since
   * they depend on the moment of the real submission.
   */
  @Transactional(readOnly = true)
  public Validated validate(String idempotencyKey, String displayName, JobSpec spec) {
    validator.validate(displayName, spec);
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw new InvalidArgumentException("idempotencyKey", "must be 1 to 200 characters when given");
    }
    JobSpec complete = spec.withDefaults();
    String name = displayName == null || displayName.isBlank()
        ? complete.algorithm() + (complete.divergenceName().isEmpty() ? "" : "-" + complete.divergenceName())
        : displayName;
    return new Validated(name, complete);
  }

  /** Submits a job, or returns the tenant's earlier job with the same idempotency key. */
  @Transactional
  public Submission submit(String idempotencyKey, String displayName, JobSpec spec) {
    Validated validated = validate(idempotencyKey, displayName, spec);
    String tenant = TenantContext.current();
    JobSpec complete = validated.spec();
    Instant now = now();
    String name = validated.displayName();
    if (idempotencyKey != null) {
      Optional<Job> earlier = jobs.findByIdempotencyKey(tenant, idempotencyKey);
      if (earlier.isPresent()) {
        return new Submission(earlier.get(), false);
      }
    }
    // one submission of a tenant at a time past this point, so two cannot both take the last free place
    long active = jobs.lockTenantAndCountActive(tenant);
    if (active >= quotas.maxActiveJobs(tenant)) {
      throw new QuotaExceededException("tenant " + tenant + " has " + active + " queued or running jobs, its quota is "
          + quotas.maxActiveJobs(tenant) + "; submit again when one has ended");
    }
    Job job = new Job(UUID.randomUUID(), tenant, idempotencyKey, name, complete, JobState.QUEUED, 1,
        Progress.notStarted(complete.budget().maxSteps()), "submitted", null, now, null, null, now, null, false);
    if (!jobs.insert(job)) {
      return new Submission(jobs.findByIdempotencyKey(tenant, idempotencyKey).orElseThrow(), false);
    }
    events.submitted(job);
    history.log(job.id(), 1, "INFO", "submitted: " + describe(complete), now);
    wakeUp.afterCommit();
    return new Submission(job, true);
  }

  @Transactional(readOnly = true)
  public Job get(String jobId) {
    return jobs.find(TenantContext.current(), parseId(jobId)).orElseThrow(() -> new NotFoundException("job", jobId));
  }

  @Transactional(readOnly = true)
  public Page list(JobState state, String algorithm, String model, Integer pageSize, String pageToken) {
    int size = pageSize == null || pageSize == 0 ? 50 : pageSize;
    if (size < 1 || size > MAX_PAGE_SIZE) {
      throw new InvalidArgumentException("pageSize", "must be between 1 and " + MAX_PAGE_SIZE);
    }
    if (algorithm != null && Algorithm.byApiName(algorithm).isEmpty()) {
      throw new InvalidArgumentException("algorithm", "unknown algorithm '" + algorithm + "'; one of " + Algorithm.apiNames());
    }
    PageCursor after = pageToken == null || pageToken.isEmpty() ? null : decode(pageToken);
    List<Job> page = jobs.list(TenantContext.current(), new JobFilter(state, algorithm, model), after, size + 1);
    boolean more = page.size() > size;
    List<Job> shown = more ? page.subList(0, size) : page;
    String next = more ? encode(shown.get(shown.size() - 1)) : null;
    return new Page(List.copyOf(shown), next);
  }

  /**
   * Cancels a job: a QUEUED job at once, a RUNNING one by asking its worker, which stops at its
   * next step and reports CANCELLED. A finished job cannot be cancelled (409).
   */
  @Transactional
  public Job cancel(String jobId) {
    Job job = jobs.lock(TenantContext.current(), parseId(jobId)).orElseThrow(() -> new NotFoundException("job", jobId));
    Instant now = now();
    switch (job.state()) {
      case QUEUED -> {
        jobs.transition(job.id(), JobState.QUEUED, JobState.CANCELLED, "cancelled-by-user", "cancelled before it started", now);
        Job cancelled = jobs.find(job.id()).orElseThrow();
        events.stateChanged(cancelled, JobState.QUEUED);
        history.log(job.id(), job.attempt(), "INFO", "cancelled before it started", now);
        metrics.jobEnded(job, JobState.CANCELLED);
        return cancelled;
      }
      case RUNNING -> {
        jobs.requestCancel(job.id(), now);
        history.log(job.id(), job.attempt(), "INFO", "cancellation requested; the worker stops at its next step", now);
        return jobs.find(job.id()).orElseThrow();
      }
      default -> throw new ConflictException("job " + jobId + " is " + job.state() + "; only QUEUED or RUNNING jobs can be cancelled");
    }
  }

  /** Runs a FAILED or CANCELLED job again as a new attempt, optionally with a new budget. */
  @Transactional
  public Job retry(String jobId, Budget newBudget) {
    Job job = jobs.lock(TenantContext.current(), parseId(jobId)).orElseThrow(() -> new NotFoundException("job", jobId));
    if (job.state() != JobState.FAILED && job.state() != JobState.CANCELLED) {
      throw new ConflictException("job " + jobId + " is " + job.state() + "; only FAILED or CANCELLED jobs can be retried");
    }
    JobSpec spec = job.spec();
    if (newBudget != null) {
      spec = spec.withBudget(newBudget);
      validator.validate(job.displayName(), spec);
      spec = spec.withDefaults();
    }
    Instant now = now();
    jobs.requeue(job.id(), job.state(), spec, "retried", null, now);
    Job retried = jobs.find(job.id()).orElseThrow();
    events.stateChanged(retried, job.state());
    history.log(job.id(), retried.attempt(), "INFO", "retry requested: attempt " + retried.attempt()
        + (newBudget == null ? "" : " with a new budget"), now);
    wakeUp.afterCommit();
    return retried;
  }

  @Transactional(readOnly = true)
  public Map<String, JobHistoryRepository.Series> metrics(String jobId, List<String> names) {
    Job job = get(jobId);
    return history.metricHistory(job.id(), names == null ? List.of() : names);
  }

  @Transactional(readOnly = true)
  public List<JobHistoryRepository.Attempt> attempts(String jobId) {
    return history.attempts(get(jobId).id());
  }

  @Transactional(readOnly = true)
  public List<JobHistoryRepository.LogLine> logs(String jobId, Integer limit) {
    int lines = limit == null || limit == 0 ? 200 : limit;
    if (lines < 1 || lines > 10_000) {
      throw new InvalidArgumentException("limit", "must be between 1 and 10000");
    }
    return history.logs(get(jobId).id(), lines);
  }

  @Transactional(readOnly = true)
  public Map<String, Double> latestMetrics(UUID jobId) {
    return history.latestMetrics(jobId);
  }

  static String describe(JobSpec spec) {
    return spec.algorithm() + " of " + spec.model() + " on " + spec.dataset()
        + (spec.divergenceName().isEmpty() ? "" : " with " + spec.divergenceName()) + ", " + spec.budget().maxSteps() + " steps";
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  public static UUID parseId(String jobId) {
    try {
      return UUID.fromString(jobId);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException("jobId", "must be a UUID");
    }
  }

  private static String encode(Job last) {
    String raw = last.createdAt().toString() + "|" + last.id();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static PageCursor decode(String token) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      int bar = raw.indexOf('|');
      return new PageCursor(Instant.parse(raw.substring(0, bar)), UUID.fromString(raw.substring(bar + 1)));
    } catch (RuntimeException e) {
      throw new InvalidArgumentException("pageToken", "is not a token this API returned");
    }
  }

  /** @param created false when an earlier submission with the same idempotency key was returned */
  public record Submission(Job job, boolean created) {}

  /** A submission as it would be stored: its display name and its spec with defaults. */
  public record Validated(String displayName, JobSpec spec) {}

  /** @param nextPageToken null on the last page */
  public record Page(List<Job> jobs, String nextPageToken) {}
}
