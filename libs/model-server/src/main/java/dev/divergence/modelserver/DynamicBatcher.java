package dev.divergence.modelserver;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelDynamicBatching;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Triton's dynamic batcher for one model version: requests queue up and one worker joins
 * compatible ones (same inputs and non-batch shapes, same outputs) into a single execution. A
 * batch runs as soon as it reaches a preferred size (or max_batch_size), otherwise when its
 * oldest request has waited max_queue_delay_microseconds. When a joined execution fails, its
 * requests are rerun one by one so that only the faulty request sees the error.
 */
final class DynamicBatcher extends BatchingQueue<DynamicBatcher.Pending> {

    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    /** A queued request with what it needs back. */
    record Pending(Map<String, Tensor> inputs, Set<String> outputs, long rows, long enqueuedNs,
            CompletableFuture<Executed> result) implements BatchingQueue.Queued {
    }

    /** The outputs of one request with the time it queued and the time its execution took. */
    record Executed(Map<String, Tensor> outputs, long queueNs, long computeNs) {
    }

    private final int maxBatchSize;
    private final List<Integer> preferredSizes;
    private final BiFunction<Map<String, Tensor>, Set<String>, Map<String, Tensor>> execute;

    DynamicBatcher(String label, int maxBatchSize, ModelDynamicBatching settings,
            BiFunction<Map<String, Tensor>, Set<String>, Map<String, Tensor>> execute) {
        super(label, settings.getMaxQueueDelayMicroseconds());
        this.maxBatchSize = maxBatchSize;
        this.preferredSizes = settings.getPreferredBatchSizeList();
        this.execute = execute;
        startWorker("batcher-" + label);
    }

    CompletableFuture<Executed> submit(Map<String, Tensor> inputs, Set<String> outputs, long rows) {
        return enqueue(new Pending(inputs, outputs, rows, System.nanoTime(), new CompletableFuture<>()));
    }

    @Override
    boolean full(List<Pending> batch) {
        long rows = rows(batch);
        return rows >= maxBatchSize || preferredSizes.contains((int) rows);
    }

    /** Same outputs, inputs of the same names and non-batch shapes, and room for its rows. */
    @Override
    boolean joins(List<Pending> batch, Pending next) {
        Pending first = batch.get(0);
        return rows(batch) + next.rows() <= maxBatchSize && next.outputs().equals(first.outputs())
                && Batches.compatible(first.inputs(), next.inputs());
    }

    private static long rows(List<Pending> batch) {
        return batch.stream().mapToLong(Pending::rows).sum();
    }

    @Override
    void execute(List<Pending> batch) {
        executeBatch(batch);
    }

    private void executeBatch(List<Pending> batch) {
        long start = System.nanoTime();
        try {
            if (batch.size() == 1) {
                Pending only = batch.get(0);
                Map<String, Tensor> outputs = execute.apply(only.inputs(), only.outputs());
                only.result().complete(new Executed(outputs, start - only.enqueuedNs(), System.nanoTime() - start));
                return;
            }
            Map<String, Tensor> joined = execute.apply(Batches.concat(batch.stream().map(Pending::inputs).toList()), batch.get(0).outputs());
            long computeNs = System.nanoTime() - start;
            long[] rows = batch.stream().mapToLong(Pending::rows).toArray();
            List<Map<String, Tensor>> parts = Batches.split(joined, rows);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(new Executed(parts.get(i), start - batch.get(i).enqueuedNs(), computeNs));
            }
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).result().completeExceptionally(e);
            } else {
                LOG.info("joined batch of {} on {} failed ({}), rerunning its requests alone", batch.size(), label, e.getMessage());
                batch.forEach(p -> executeBatch(List.of(p)));
            }
        }
    }
}
