package dev.divergence.bench;

import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;

/** ECE (L1, 15 bins, numpy-histogram edges) over 10^6 top-label confidences and 0/1 accuracies. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
public class CalibrationBenchmark {

    private double[] confidences;
    private double[] accuracies;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 1_000_000;
        confidences = new double[n];
        accuracies = new double[n];
        for (int i = 0; i < n; i++) {
            confidences[i] = 0.1 + 0.9 * random.nextDouble();
            accuracies[i] = random.nextDouble() < confidences[i] * 0.95 ? 1.0 : 0.0;
        }
    }

    @Benchmark
    public double ece1e6() {
        return Calibration.error(confidences, accuracies, 15, CalibrationNorm.L1);
    }
}
