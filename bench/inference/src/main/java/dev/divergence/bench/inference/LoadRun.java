package dev.divergence.bench.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A closed-loop load: {@code concurrency} clients each run {@code perClient} generations back to
 * back. Throughput is generated tokens over the wall time of the whole load; latency is per
 * generation (one request to the service, or the whole decode loop against the server).
 */
final class LoadRun {

    /**
     * One generation from prompt to its last token; returns the number of tokens generated. A
     * generation that throws counts as an error (a busy service's refusal, say) and not in the latencies.
     */
    interface Generation {
        int run(int client, int index) throws Exception;
    }

    record Outcome(String target, int concurrency, int generations, int errors, long tokens, double seconds, double p50Ms, double p99Ms) {

        double tokensPerSecond() {
            return tokens / seconds;
        }

        String toJson() {
            return String.format(java.util.Locale.ROOT,
                    "{\"target\": \"%s\", \"concurrency\": %d, \"generations\": %d, \"errors\": %d, \"tokens\": %d, \"seconds\": %.4f, "
                            + "\"tokens_per_s\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}",
                    target, concurrency, generations, errors, tokens, seconds, tokensPerSecond(), p50Ms, p99Ms);
        }
    }

    private LoadRun() {
    }

    static Outcome run(String target, int concurrency, int perClient, Generation generation) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        java.util.concurrent.atomic.AtomicInteger errors = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<Future<long[]>> running = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < concurrency; c++) {
                int client = c;
                running.add(clients.submit(() -> {
                    long[] latencies = new long[perClient + 1];
                    for (int i = 0; i < perClient; i++) {
                        long t0 = System.nanoTime();
                        try {
                            latencies[perClient] += generation.run(client, i);
                            latencies[i] = System.nanoTime() - t0;
                        } catch (Exception e) {
                            latencies[i] = -1;
                            if (errors.getAndIncrement() == 0) {
                                System.err.println(target + ": a generation failed: " + e.getMessage());
                            }
                        }
                    }
                    return latencies;
                }));
            }
            long[] all = new long[concurrency * perClient];
            long tokens = 0;
            int n = 0;
            for (Future<long[]> f : running) {
                long[] latencies = f.get();
                System.arraycopy(latencies, 0, all, n, perClient);
                n += perClient;
                tokens += latencies[perClient];
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] succeeded = Arrays.stream(all).filter(ns -> ns >= 0).sorted().toArray();
            if (succeeded.length == 0) {
                throw new IllegalStateException(target + ": every generation failed at concurrency " + concurrency);
            }
            return new Outcome(target, concurrency, succeeded.length, errors.get(), tokens, seconds,
                    percentile(succeeded, 0.50) / 1e6, percentile(succeeded, 0.99) / 1e6);
        } finally {
            clients.shutdownNow();
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
