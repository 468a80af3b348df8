package dev.divergence.bench.gateway;

import java.util.Arrays;

/** Latency samples in nanoseconds; percentiles by nearest rank over all samples. */
final class Latencies {

  private long[] samples = new long[1024];
  private int size;

  synchronized void add(long nanos) {
    if (size == samples.length) {
      samples = Arrays.copyOf(samples, size * 2);
    }
    samples[size++] = nanos;
  }

  synchronized int count() {
    return size;
  }

  /** The p-th percentile (0 < p <= 100) in milliseconds; NaN without samples. */
  synchronized double percentileMillis(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size, rank) - 1)] / 1e6;
  }

  synchronized double meanMillis() {
    double sum = 0;
    for (int i = 0; i < size; i++) {
      sum += samples[i];
    }
    return size == 0 ? Double.NaN : sum / size / 1e6;
  }
}
