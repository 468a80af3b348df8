package dev.divergence.evaluation.events;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.evaluation.v1.EvaluationCancelled;
import dev.divergence.proto.evaluation.v1.EvaluationCompleted;
import dev.divergence.proto.evaluation.v1.EvaluationFailed;
import dev.divergence.proto.evaluation.v1.EvaluationStarted;
import org.springframework.stereotype.Component;

/** Run lifecycle events on evaluation.events.v1, keyed by run id, through the outbox (callers are inside the change's transaction). */
@Component
public class EvaluationEventPublisher {

  private final OutboxEventPublisher outbox;

  public EvaluationEventPublisher(OutboxEventPublisher outbox) {
    this.outbox = outbox;
  }

  public void started(EvaluationRun run) {
    outbox.publish(Topics.EVALUATION_EVENTS, run.id().toString(),
        EvaluationStarted.newBuilder().setRun(RunMessages.toProto(run)).build());
  }

  public void ended(EvaluationRun run) {
    var proto = RunMessages.toProto(run);
    switch (run.state()) {
      case SUCCEEDED -> outbox.publish(Topics.EVALUATION_EVENTS, run.id().toString(),
          EvaluationCompleted.newBuilder().setRun(proto).build());
      case FAILED -> outbox.publish(Topics.EVALUATION_EVENTS, run.id().toString(),
          EvaluationFailed.newBuilder().setRun(proto).build());
      case CANCELLED -> outbox.publish(Topics.EVALUATION_EVENTS, run.id().toString(),
          EvaluationCancelled.newBuilder().setRun(proto).build());
      default -> throw new IllegalArgumentException("run " + run.id() + " has not ended: " + run.state());
    }
  }
}
