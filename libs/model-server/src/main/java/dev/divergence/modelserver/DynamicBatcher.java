package dev.divergence.modelserver;

import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelDynamicBatching;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
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
final class DynamicBatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    /** A queued request with what it needs back. */
    record Pending(Map<String, Tensor> inputs, Set<String> outputs, long rows, long enqueuedNs,
            CompletableFuture<Executed> result) {
    }

    /** The outputs of one request with the time it queued and the time its execution took. */
    record Executed(Map<String, Tensor> outputs, long queueNs, long computeNs) {
    }

    private final String label;
    private final int maxBatchSize;
    private final long maxDelayNs;
    private final List<Integer> preferredSizes;
    private final BiFunction<Map<String, Tensor>, Set<String>, Map<String, Tensor>> execute;
    private final LinkedBlockingDeque<Pending> queue = new LinkedBlockingDeque<>();
    private final Thread worker;
    private volatile boolean closed;

    DynamicBatcher(String label, int maxBatchSize, ModelDynamicBatching settings,
            BiFunction<Map<String, Tensor>, Set<String>, Map<String, Tensor>> execute) {
        this.label = label;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNs = TimeUnit.MICROSECONDS.toNanos(settings.getMaxQueueDelayMicroseconds());
        this.preferredSizes = settings.getPreferredBatchSizeList();
        this.execute = execute;
        this.worker = Thread.ofPlatform().daemon().name("batcher-" + label).start(this::run);
    }

    CompletableFuture<Executed> submit(Map<String, Tensor> inputs, Set<String> outputs, long rows) {
        Pending pending = new Pending(inputs, outputs, rows, System.nanoTime(), new CompletableFuture<>());
        if (closed) {
            pending.result().completeExceptionally(InferenceException.unavailable("'" + label + "' is not at ready state"));
            return pending.result();
        }
        queue.add(pending);
        return pending.result();
    }

    private void run() {
        while (!closed) {
            List<Pending> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                break;
            }
            executeBatch(batch);
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(InferenceException.unavailable("'" + label + "' is not at ready state"));
        }
    }

    /** Blocks for a first request, then gathers compatible ones until a size or the delay says go. */
    private List<Pending> nextBatch() throws InterruptedException {
        Pending first = queue.take();
        List<Pending> batch = new ArrayList<>(List.of(first));
        long rows = first.rows();
        long deadline = first.enqueuedNs() + maxDelayNs;
        while (rows < maxBatchSize && !preferredSizes.contains((int) rows)) {
            long wait = deadline - System.nanoTime();
            Pending next;
            try {
                next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
            } catch (InterruptedException e) {
                for (int i = batch.size() - 1; i >= 0; i--) {
                    queue.putFirst(batch.get(i)); // closing: run() fails everything still queued
                }
                throw e;
            }
            if (next == null) {
                break;
            }
            if (rows + next.rows() > maxBatchSize || !next.outputs().equals(first.outputs())
                    || !Batches.compatible(first.inputs(), next.inputs())) {
                queue.putFirst(next); // starts the next batch instead
                break;
            }
            batch.add(next);
            rows += next.rows();
        }
        return batch;
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

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
