package dev.divergence.evaluation.events;

import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.events.IdempotentConsumer;
import dev.divergence.platform.events.ReceivedEvent;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobStateChanged;
import dev.divergence.proto.training.v1.JobSubmitted;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/** Keeps evaluation's view of training jobs (submission, then every state change) from training.job-events.v1, applying each event once. */
@Component
public class TrainingJobEventsListener {

  static final String CONSUMER = "evaluation.tracked-training-jobs";
  private static final Logger log = LoggerFactory.getLogger(TrainingJobEventsListener.class);

  private final IdempotentConsumer consumer;
  private final TrackedTrainingJobRepository jobs;

  public TrainingJobEventsListener(IdempotentConsumer consumer, TrackedTrainingJobRepository jobs) {
    this.consumer = consumer;
    this.jobs = jobs;
  }

  @KafkaListener(topics = Topics.TRAINING_JOB_EVENTS)
  public void on(ConsumerRecord<String, byte[]> record) {
    ReceivedEvent event = ReceivedEvent.of(record);
    if (event.is(JobSubmitted.class)) {
      consumer.handleOnce(CONSUMER, event, e -> track(e, e.payload(JobSubmitted.class).getJob()));
    } else if (event.is(JobStateChanged.class)) {
      consumer.handleOnce(CONSUMER, event, e -> track(e, e.payload(JobStateChanged.class).getJob()));
    } else {
      log.debug("ignoring {} {}", event.type(), event.eventId());
    }
  }

  private static String divergenceOf(Job job) {
    var spec = job.getSpec();
    return switch (spec.getMethodCase()) {
      case DISTILLATION -> spec.getDistillation().getDivergence().getName();
      case F_DPO -> spec.getFDpo().getDivergence().getName();
      default -> "";
    };
  }

  private void track(ReceivedEvent event, Job job) {
    var occurred = event.envelope().getOccurredAt();
    var created = job.getCreatedAt();
    jobs.applyEvent(new TrackedTrainingJob(
        UUID.fromString(job.getJobId()), event.envelope().getTenant(), job.getSpec().getAlgorithm(),
        divergenceOf(job), job.getSpec().getModel(), job.getSpec().getDataset().isEmpty() ? null : job.getSpec().getDataset(),
        job.getState().name().replace("JOB_STATE_", ""),
        Instant.ofEpochSecond(created.getSeconds(), created.getNanos()),
        Instant.ofEpochSecond(occurred.getSeconds(), occurred.getNanos()), 1));
  }
}
