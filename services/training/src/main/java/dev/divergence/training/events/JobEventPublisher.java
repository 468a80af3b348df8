package dev.divergence.training.events;

import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.training.v1.JobStateChanged;
import dev.divergence.proto.training.v1.JobSubmitted;
import dev.divergence.proto.training.v1.StepMetrics;
import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Job lifecycle events on training.job-events.v1 and step metrics on training.metrics.v1, keyed by
 * job id, through the outbox (callers are inside the transaction of the change). A job's events carry
 * the job's tenant, also when a worker or the reaper announces them outside any request.
 */
@Component
public class JobEventPublisher {

  private final OutboxEventPublisher outbox;

  public JobEventPublisher(OutboxEventPublisher outbox) {
    this.outbox = outbox;
  }

  public void submitted(Job job) {
    TenantContext.runAs(job.tenant(), () -> outbox.publish(Topics.TRAINING_JOB_EVENTS, job.id().toString(),
        JobSubmitted.newBuilder().setJob(JobMessages.toProto(job)).build()));
  }

  public void stateChanged(Job job, JobState previous) {
    TenantContext.runAs(job.tenant(), () -> outbox.publish(Topics.TRAINING_JOB_EVENTS, job.id().toString(),
        JobStateChanged.newBuilder().setJob(JobMessages.toProto(job)).setPrevious(JobMessages.toProto(previous)).build()));
  }

  public void stepMetrics(UUID jobId, int attempt, long step, Map<String, Double> values, Instant time) {
    outbox.publish(Topics.TRAINING_METRICS, jobId.toString(), StepMetrics.newBuilder().setJobId(jobId.toString())
        .setAttempt(attempt).setStep(step).putAllValues(values).setTime(JobMessages.timestamp(time)).build());
  }
}
