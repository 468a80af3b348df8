package dev.divergence.merging.events;

import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.merging.v1.MergeExperimentCancelled;
import dev.divergence.proto.merging.v1.MergeExperimentCompleted;
import dev.divergence.proto.merging.v1.MergeExperimentFailed;
import dev.divergence.proto.merging.v1.MergeExperimentStarted;
import org.springframework.stereotype.Component;

/** Experiment lifecycle events on merging.events.v1, keyed by experiment id, through the outbox (callers are inside the change's transaction). */
@Component
public class ExperimentEventPublisher {

  private final OutboxEventPublisher outbox;

  public ExperimentEventPublisher(OutboxEventPublisher outbox) {
    this.outbox = outbox;
  }

  public void started(MergeExperiment experiment) {
    outbox.publish(Topics.MERGING_EVENTS, experiment.id().toString(),
        MergeExperimentStarted.newBuilder().setExperiment(ExperimentMessages.toProto(experiment)).build());
  }

  public void ended(MergeExperiment experiment) {
    var proto = ExperimentMessages.toProto(experiment);
    String key = experiment.id().toString();
    switch (experiment.state()) {
      case SUCCEEDED -> outbox.publish(Topics.MERGING_EVENTS, key, MergeExperimentCompleted.newBuilder().setExperiment(proto).build());
      case FAILED -> outbox.publish(Topics.MERGING_EVENTS, key, MergeExperimentFailed.newBuilder().setExperiment(proto).build());
      case CANCELLED -> outbox.publish(Topics.MERGING_EVENTS, key, MergeExperimentCancelled.newBuilder().setExperiment(proto).build());
      default -> throw new IllegalArgumentException("experiment " + experiment.id() + " has not ended: " + experiment.state());
    }
  }
}
