package dev.divergence.training.events;

import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.training.v1.JobSubmitted;
import dev.divergence.training.job.Job;
import org.springframework.stereotype.Component;

/** Lifecycle events of jobs on training.job-events.v1, keyed by job id, through the outbox. */
@Component
public class JobEventPublisher {

  private final OutboxEventPublisher outbox;

  public JobEventPublisher(OutboxEventPublisher outbox) {
    this.outbox = outbox;
  }

  public void submitted(Job job) {
    outbox.publish(Topics.TRAINING_JOB_EVENTS, job.id().toString(),
        JobSubmitted.newBuilder().setJob(JobMessages.toProto(job)).build());
  }
}
