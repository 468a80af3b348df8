package dev.divergence.merging.events;

import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.platform.events.OutboxEventPublisher;
import dev.divergence.platform.events.Topics;
import dev.divergence.proto.merging.v1.MergeCreated;
import org.springframework.stereotype.Component;

/** Merge events on merging.events.v1, keyed by merge id, through the outbox (callers are inside the transaction of the change). */
@Component
public class MergeEventPublisher {

  private final OutboxEventPublisher outbox;

  public MergeEventPublisher(OutboxEventPublisher outbox) {
    this.outbox = outbox;
  }

  public void created(MergeService.Merge merge, MergePlan description) {
    outbox.publish(Topics.MERGING_EVENTS, merge.record().mergeId().toString(),
        MergeCreated.newBuilder().setMerge(MergeMessages.toProto(merge, description)).build());
  }
}
