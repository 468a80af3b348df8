package dev.divergence.model.training;

import dev.divergence.model.DjlRuntime;
import java.util.SplittableRandom;

/**
 * One seed for a run: libtorch's generator (engine-side randomness) and the Java generator that
 * drives data order, sampling and initialisation, so a job repeats on CPU.
 *
 * <p>Bit-for-bit repeats additionally need {@code MKL_CBWR=COMPATIBLE} in the environment (set
 * before the JVM starts): MKL otherwise picks matmul kernels by memory alignment, and runs
 * drift apart in the last bits (about 1e-4 after a hundred AdamW steps). The tests set it.
 */
public final class Seeds {

    private Seeds() {
    }

    public static SplittableRandom seedEverything(long seed) {
        DjlRuntime.seed(seed);
        return new SplittableRandom(seed);
    }

    /** A uniformly random order of 0 .. n-1 (Fisher-Yates), reproducible from the generator's state. */
    public static int[] permutation(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
