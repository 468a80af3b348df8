package dev.divergence.modelserver;

import dev.divergence.modelserver.backend.StatefulBackend;
import dev.divergence.modelserver.backend.StatefulBackend.SequenceState;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelSequenceBatching;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Triton's "oldest" sequence batching strategy for one model version: requests of different live
 * sequences are dynamically batched, the oldest first, one request per sequence per batch, into a
 * single {@link StatefulBackend#executeSteps} execution. A batch runs once it reaches a preferred
 * size or its cap (max_batch_size, and at most max_candidate_sequences sequences), otherwise when
 * its oldest request has waited max_queue_delay_microseconds, or as soon as every live sequence
 * that may still send a request (not one whose sequence_end request is already on its way) has a
 * request in it, since no other sequence could join it then.
 */
final class OldestSequenceBatcher extends BatchingQueue<OldestSequenceBatcher.Pending> {

    private static final Logger LOG = LoggerFactory.getLogger(OldestSequenceBatcher.class);

    /** Runs one execution of {@code batchSize} rows under the version's lifecycle and statistics. */
    interface Guard {
        List<Map<String, Tensor>> run(int batchSize, java.util.function.Supplier<List<Map<String, Tensor>>> execution);
    }

    record Pending(Object sequence, SequenceState state, Map<String, Tensor> inputs, Set<String> outputs,
            long enqueuedNs, CompletableFuture<DynamicBatcher.Executed> result) implements BatchingQueue.Queued {
    }

    private final StatefulBackend backend;
    private final Guard guard;
    private final IntSupplier awaitedSequences;
    private final int maxBatch;
    private final List<Integer> preferredSizes;

    OldestSequenceBatcher(String label, int maxBatchSize, ModelSequenceBatching.StrategyOldest settings, StatefulBackend backend,
            Guard guard, IntSupplier awaitedSequences) {
        super(label, settings.getMaxQueueDelayMicroseconds());
        this.backend = backend;
        this.guard = guard;
        this.awaitedSequences = awaitedSequences;
        int cap = Math.max(1, maxBatchSize);
        if (settings.getMaxCandidateSequences() > 0) {
            cap = Math.min(cap, settings.getMaxCandidateSequences());
        }
        this.maxBatch = cap;
        this.preferredSizes = settings.getPreferredBatchSizeList();
        startWorker("sequence-batcher-" + label);
    }

    /** Queues one request of the sequence {@code sequence} (an identity: one request of it per batch). */
    CompletableFuture<DynamicBatcher.Executed> submit(Object sequence, SequenceState state, Map<String, Tensor> inputs, Set<String> outputs) {
        return enqueue(new Pending(sequence, state, inputs, outputs, System.nanoTime(), new CompletableFuture<>()));
    }

    @Override
    boolean full(List<Pending> batch) {
        return batch.size() >= maxBatch || preferredSizes.contains(batch.size()) || batch.size() >= awaitedSequences.getAsInt();
    }

    /** Same outputs, and one request per sequence. */
    @Override
    boolean joins(List<Pending> batch, Pending next) {
        return next.outputs().equals(batch.get(0).outputs()) && batch.stream().noneMatch(p -> p.sequence() == next.sequence());
    }

    @Override
    void execute(List<Pending> batch) {
        long start = System.nanoTime();
        try {
            List<Map<String, Tensor>> results = guard.run(batch.size(), () -> backend.executeSteps(
                    batch.stream().map(Pending::state).toList(), batch.stream().map(Pending::inputs).toList(), batch.get(0).outputs()));
            long computeNs = System.nanoTime() - start;
            for (int i = 0; i < batch.size(); i++) {
                Pending pending = batch.get(i);
                if (results.get(i) == null) {
                    pending.result().completeExceptionally(InferenceException.invalidArgument(
                            "a sequence of model '" + label + "' was evicted after being idle; start it again with the START flag"));
                } else {
                    pending.result().complete(new DynamicBatcher.Executed(results.get(i), start - pending.enqueuedNs(), computeNs));
                }
            }
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(e);
            } else {
                LOG.info("batched step of {} sequences on {} failed ({}), rerunning them alone", batch.size(), label, e.getMessage());
                batch.forEach(p -> execute(List.of(p)));
            }
        }
    }
}
