package dev.divergence.bench;

import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.Reduction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;

/**
 * Fused raw logits -> divergence over float32 [rows, vocab] at temperature 2, token-mean reduced:
 * the same work as bench/baselines/divergence_baselines.py does with numpy and PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
public class LogitsBenchmark {

    @Param({"64x32000", "8x152064"})
    public String shape;

    private LogitsBatch teacher;
    private LogitsBatch student;
    private final LogitsOptions options = new LogitsOptions(2.0, null, Reduction.TOKEN_MEAN);
    private final LogitsDivergence kl = LogitsDivergence.of("kl");
    private final LogitsDivergence js = LogitsDivergence.of("js");
    private final LogitsDivergence jsd = LogitsDivergence.of(DivergenceRegistry.create("jsd", 0.1));

    @Setup
    public void setUp() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int vocab = Integer.parseInt(dims[1]);
        SplittableRandom random = new SplittableRandom(42);
        float[] t = new float[rows * vocab];
        float[] s = new float[rows * vocab];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) (gaussian(random) * 4);
            s[i] = (float) (gaussian(random) * 4);
        }
        teacher = LogitsBatch.ofFloats(t, rows, vocab);
        student = LogitsBatch.ofFloats(s, rows, vocab);
        // Vector API code is very slow until C2 has compiled it; a few thousand calls on a small batch
        // get it compiled before JMH's warm-up, which otherwise spends whole iterations interpreting
        LogitsBatch smallT = LogitsBatch.ofFloats(java.util.Arrays.copyOf(t, 2 * 4096), 2, 4096);
        LogitsBatch smallS = LogitsBatch.ofFloats(java.util.Arrays.copyOf(s, 2 * 4096), 2, 4096);
        for (int i = 0; i < 3000; i++) {
            kl.loss(smallT, smallS, options);
            js.loss(smallT, smallS, options);
            jsd.loss(smallT, smallS, options);
        }
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian before Java 17's RandomGenerator default
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    @Benchmark
    public double klLogits() {
        return kl.loss(teacher, student, options);
    }

    @Benchmark
    public double jsLogits() {
        return js.loss(teacher, student, options);
    }

    @Benchmark
    public double jsdLogits() {
        return jsd.loss(teacher, student, options);
    }
}
