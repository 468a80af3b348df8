package dev.divergence.bench;

import dev.divergence.math.transport.Sinkhorn;
import dev.divergence.math.transport.SinkhornOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;

/**
 * Log-domain Sinkhorn, epsilon 0.05 on squared Euclidean costs of uniform points in the unit square
 * (scaled to max 1), column-marginal tolerance 1e-6 checked every 10 iterations, as the numpy
 * baseline does. "default" uses epsilon scaling (the library default), "plain" switches it off so
 * the iteration schedule is the baseline's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
public class SinkhornBenchmark {

    static final double EPSILON = 0.05;
    static final double TOLERANCE = 1e-6;

    private double[] a256;
    private double[] cost256;
    private double[][] aBatch;
    private double[][] costBatch;

    @Setup
    public void setUp() throws java.io.IOException {
        // bench/run.sh passes the cost matrices the numpy baseline solved, so both sides solve the same problems
        String data = System.getProperty("bench.data");
        SplittableRandom random = new SplittableRandom(7);
        a256 = uniform(256);
        cost256 = data != null ? read(java.nio.file.Path.of(data, "sinkhorn_256.f64"), 0, 256 * 256) : cost(random, 256);
        aBatch = new double[64][];
        costBatch = new double[64][];
        for (int k = 0; k < 64; k++) {
            aBatch[k] = uniform(32);
            costBatch[k] = data != null ? read(java.nio.file.Path.of(data, "sinkhorn_64x32.f64"), k * 32 * 32, 32 * 32)
                    : cost(random, 32);
        }
    }

    /** {@code count} little-endian float64 values starting at value {@code offset}. */
    static double[] read(java.nio.file.Path file, int offset, int count) throws java.io.IOException {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[count];
        bytes.position(offset * Double.BYTES);
        bytes.asDoubleBuffer().get(out);
        return out;
    }

    static double[] uniform(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0 / n);
        return w;
    }

    static double[] cost(SplittableRandom random, int n) {
        double[][] x = new double[n][2];
        double[][] y = new double[n][2];
        for (int i = 0; i < n; i++) {
            x[i][0] = random.nextDouble();
            x[i][1] = random.nextDouble();
            y[i][0] = random.nextDouble();
            y[i][1] = random.nextDouble();
        }
        double[] c = new double[n * n];
        double max = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double dx = x[i][0] - y[j][0];
                double dy = x[i][1] - y[j][1];
                c[i * n + j] = dx * dx + dy * dy;
                max = Math.max(max, c[i * n + j]);
            }
        }
        for (int i = 0; i < c.length; i++) {
            c[i] /= max;
        }
        return c;
    }

    @Benchmark
    public double sinkhorn256Default() {
        return Sinkhorn.solve(a256, a256, cost256, SinkhornOptions.of(EPSILON).withTolerance(TOLERANCE)).cost();
    }

    @Benchmark
    public double sinkhorn256Plain() {
        return Sinkhorn.solve(a256, a256, cost256, SinkhornOptions.of(EPSILON).withTolerance(TOLERANCE)
                .withEpsilonScaling(false)).cost();
    }

    @Benchmark
    public double sinkhornBatch64x32Default() {
        return Sinkhorn.solveAll(aBatch, aBatch, costBatch, SinkhornOptions.of(EPSILON).withTolerance(TOLERANCE))[0].cost();
    }
}
