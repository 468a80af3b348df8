package dev.divergence.training.job;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.training.events.JobEventPublisher;
import dev.divergence.training.store.JobRepository;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Submits and reads jobs; a job and its JobSubmitted event are stored in one transaction. */
@Service
public class JobService {

  private final JobRepository jobs;
  private final JobEventPublisher events;
  private final Clock clock;

  public JobService(JobRepository jobs, JobEventPublisher events, Clock clock) {
    this.jobs = jobs;
    this.events = events;
    this.clock = clock;
  }

  /** Submits a job, or returns the tenant's earlier job with the same idempotency key. */
  @Transactional
  public Submission submit(String idempotencyKey, String displayName, JobSpec spec) {
    JobSpecValidator.validate(displayName, spec);
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw new InvalidArgumentException("idempotencyKey", "must be 1 to 200 characters when given");
    }
    String tenant = TenantContext.current();
    // microsecond precision: what PostgreSQL stores, so the returned job equals the stored one
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    String name = displayName == null || displayName.isBlank() ? spec.algorithm() + "-" + spec.divergence() : displayName;
    Job job = new Job(UUID.randomUUID(), tenant, idempotencyKey, name, spec, JobState.QUEUED, 1, now, now);
    if (!jobs.insert(job)) {
      Job earlier = jobs.findByIdempotencyKey(tenant, idempotencyKey).orElseThrow();
      return new Submission(earlier, false);
    }
    events.submitted(job);
    return new Submission(job, true);
  }

  @Transactional(readOnly = true)
  public Job get(String jobId) {
    UUID id = parseId(jobId);
    return jobs.find(TenantContext.current(), id).orElseThrow(() -> new NotFoundException("job", jobId));
  }

  private static UUID parseId(String jobId) {
    try {
      return UUID.fromString(jobId);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException("jobId", "must be a UUID");
    }
  }

  /** @param created false when an earlier submission with the same idempotency key was returned */
  public record Submission(Job job, boolean created) {}
}
