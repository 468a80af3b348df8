package dev.divergence.modelserver;

import dev.divergence.proto.triton.InferBatchStatistics;
import dev.divergence.proto.triton.InferStatistics;
import dev.divergence.proto.triton.ModelStatistics;
import dev.divergence.proto.triton.StatisticDuration;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cumulative counters of one model version with Triton's meaning: inference_count counts batch
 * rows, execution_count model executions, and each phase keeps a count and total nanoseconds.
 */
final class InferenceStatistics {

    /** Time spent in the phases of one successful request. */
    record Timing(long queueNs, long inputNs, long inferNs, long outputNs) {

        long totalNs() {
            return queueNs + inputNs + inferNs + outputNs;
        }
    }

    private final Duration success = new Duration();
    private final Duration fail = new Duration();
    private final Duration queue = new Duration();
    private final Duration computeInput = new Duration();
    private final Duration computeInfer = new Duration();
    private final Duration computeOutput = new Duration();
    private final Map<Long, Duration[]> byBatchSize = new TreeMap<>();
    private long inferenceCount;
    private long executionCount;
    private long lastInferenceMillis;

    /** One successful request of {@code rows} batch rows, however the scheduler batched it. */
    synchronized void recordSuccess(long rows, Timing timing) {
        success.add(timing.totalNs());
        queue.add(timing.queueNs());
        computeInput.add(timing.inputNs());
        computeInfer.add(timing.inferNs());
        computeOutput.add(timing.outputNs());
        inferenceCount += rows;
        lastInferenceMillis = System.currentTimeMillis();
    }

    /** One model execution over a batch of {@code batchSize} rows (possibly several requests). */
    synchronized void recordExecution(long batchSize, long inputNs, long inferNs, long outputNs) {
        executionCount++;
        Duration[] batch = byBatchSize.computeIfAbsent(batchSize, b -> new Duration[] {new Duration(), new Duration(), new Duration()});
        batch[0].add(inputNs);
        batch[1].add(inferNs);
        batch[2].add(outputNs);
    }

    synchronized void recordFailure(long ns) {
        fail.add(ns);
        lastInferenceMillis = System.currentTimeMillis();
    }

    synchronized ModelStatistics toProto(String name, String version) {
        ModelStatistics.Builder stats = ModelStatistics.newBuilder().setName(name).setVersion(version)
                .setLastInference(lastInferenceMillis).setInferenceCount(inferenceCount).setExecutionCount(executionCount)
                .setInferenceStats(InferStatistics.newBuilder().setSuccess(success.toProto()).setFail(fail.toProto())
                        .setQueue(queue.toProto()).setComputeInput(computeInput.toProto())
                        .setComputeInfer(computeInfer.toProto()).setComputeOutput(computeOutput.toProto())
                        .setCacheHit(StatisticDuration.getDefaultInstance()).setCacheMiss(StatisticDuration.getDefaultInstance()));
        byBatchSize.forEach((size, d) -> stats.addBatchStats(InferBatchStatistics.newBuilder().setBatchSize(size)
                .setComputeInput(d[0].toProto()).setComputeInfer(d[1].toProto()).setComputeOutput(d[2].toProto())));
        return stats.build();
    }

    private static final class Duration {
        private long count;
        private long ns;

        void add(long nanos) {
            count++;
            ns += Math.max(0, nanos);
        }

        StatisticDuration toProto() {
            return StatisticDuration.newBuilder().setCount(count).setNs(ns).build();
        }
    }
}
