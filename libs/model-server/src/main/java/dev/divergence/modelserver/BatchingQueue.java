package dev.divergence.modelserver;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * The queue and worker thread behind Triton's batchers (dynamic batching, the oldest sequence
 * strategy): requests queue up; one worker takes the oldest, gathers the ones that may join it
 * until the batch is full or the oldest has waited max_queue_delay_microseconds, and executes
 * the batch. A request that may not join starts the next batch. Closing fails what is still
 * queued as UNAVAILABLE. Subclasses say what "full" and "may join" mean and how a batch runs.
 *
 * @param <P> a queued request
 */
abstract class BatchingQueue<P extends BatchingQueue.Queued> implements AutoCloseable {

    /** What the queue needs of a request: when it arrived and where its answer goes. */
    interface Queued {
        long enqueuedNs();

        CompletableFuture<DynamicBatcher.Executed> result();
    }

    protected final String label;
    private final long maxDelayNs;
    private final LinkedBlockingDeque<P> queue = new LinkedBlockingDeque<>();
    private Thread worker;
    private volatile boolean closed;

    BatchingQueue(String label, long maxQueueDelayMicros) {
        this.label = label;
        this.maxDelayNs = TimeUnit.MICROSECONDS.toNanos(maxQueueDelayMicros);
    }

    /** Starts the worker; the subclass calls it last in its constructor, once its settings are set. */
    final void startWorker(String threadName) {
        worker = Thread.ofPlatform().daemon().name(threadName).start(this::run);
    }

    /** Whether {@code batch} runs now without waiting for more requests. */
    abstract boolean full(List<P> batch);

    /** Whether {@code next} may run in the same execution as {@code batch}. */
    abstract boolean joins(List<P> batch, P next);

    /** Executes a batch and completes each request's result. */
    abstract void execute(List<P> batch);

    final CompletableFuture<DynamicBatcher.Executed> enqueue(P pending) {
        if (closed) {
            pending.result().completeExceptionally(unavailable());
            return pending.result();
        }
        queue.add(pending);
        return pending.result();
    }

    private void run() {
        while (!closed) {
            List<P> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                break;
            }
            execute(batch);
        }
        P left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(unavailable());
        }
    }

    /** Blocks for a first request, then gathers the ones that may join until full or the delay says go. */
    private List<P> nextBatch() throws InterruptedException {
        P first = queue.take();
        List<P> batch = new ArrayList<>(List.of(first));
        long deadline = first.enqueuedNs() + maxDelayNs;
        while (!full(batch)) {
            long wait = deadline - System.nanoTime();
            P next;
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
            if (!joins(batch, next)) {
                queue.putFirst(next); // starts the next batch instead
                break;
            }
            batch.add(next);
        }
        return batch;
    }

    private InferenceException unavailable() {
        return InferenceException.unavailable("'" + label + "' is not at ready state");
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
