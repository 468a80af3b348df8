package dev.divergence.math;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Randomised checks of a property over many generated cases, reproducible from one seed.
 *
 * <p>Case 0 is generated from the base seed, case i from the i-th seed of a {@link SplittableRandom}
 * started at the base seed. The base seed is fixed (so the build is deterministic) unless the system
 * property {@value #SEED_PROPERTY} sets it; {@value #CASES_PROPERTY} caps the number of cases. A failing
 * case reports its property, its own seed and its values, and rerunning with
 * {@code -Ddivergence.test.seed=<that seed>} makes it case 0, so it reproduces first.
 */
public final class SeededCases {

    public static final String SEED_PROPERTY = "divergence.test.seed";
    public static final String CASES_PROPERTY = "divergence.test.cases";
    static final long DEFAULT_SEED = 0x5EEDCA5E5L;

    private SeededCases() {
    }

    /** Draws {@code count} cases with {@code generator} and runs {@code property} on each. */
    public static <T> void check(String name, int count, Function<Random, T> generator, Consumer<T> property) {
        check(name, Math.min(count, Integer.getInteger(CASES_PROPERTY, count)), baseSeed(), generator, property);
    }

    static <T> void check(String name, int cases, long baseSeed, Function<Random, T> generator, Consumer<T> property) {
        SplittableRandom seeds = new SplittableRandom(baseSeed);
        for (int i = 0; i < cases; i++) {
            long seed = i == 0 ? baseSeed : seeds.nextLong();
            T value = generator.apply(new Random(seed));
            try {
                property.accept(value);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(String.format(
                        "property '%s' fails at case %d of %d, seed %d (rerun with -D%s=%d): %s%n%s",
                        name, i, cases, seed, SEED_PROPERTY, seed, describe(value), e.getMessage()), e);
            }
        }
    }

    static long baseSeed() {
        String configured = System.getProperty(SEED_PROPERTY);
        return configured == null || configured.isBlank() ? DEFAULT_SEED : Long.parseLong(configured.strip());
    }

    /** Uniform in [min, max], with each end point drawn 1 time in 20 so that the bounds are always exercised. */
    public static double between(Random random, double min, double max) {
        int pick = random.nextInt(20);
        if (pick == 0) {
            return min;
        }
        if (pick == 1) {
            return max;
        }
        return min + (max - min) * random.nextDouble();
    }

    /** Uniform integer in [min, max], both included. */
    public static int between(Random random, int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    /** Arrays print their elements, records their components (recursively), everything else its toString. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof double[] doubles) {
            return Arrays.toString(doubles);
        }
        if (value instanceof float[] floats) {
            return Arrays.toString(floats);
        }
        if (value instanceof int[] ints) {
            return Arrays.toString(ints);
        }
        if (value instanceof long[] longs) {
            return Arrays.toString(longs);
        }
        if (value instanceof Object[] objects) {
            StringBuilder out = new StringBuilder("[");
            for (int i = 0; i < objects.length; i++) {
                out.append(i == 0 ? "" : ", ").append(describe(objects[i]));
            }
            return out.append(']').toString();
        }
        if (value.getClass().isRecord()) {
            StringBuilder out = new StringBuilder(value.getClass().getSimpleName()).append('[');
            RecordComponent[] components = value.getClass().getRecordComponents();
            for (int i = 0; i < components.length; i++) {
                Object component;
                try {
                    var accessor = components[i].getAccessor();
                    accessor.setAccessible(true);
                    component = accessor.invoke(value);
                } catch (ReflectiveOperationException e) {
                    component = "<" + e + ">";
                }
                out.append(i == 0 ? "" : ", ").append(components[i].getName()).append('=').append(describe(component));
            }
            return out.append(']').toString();
        }
        return value.toString();
    }
}
