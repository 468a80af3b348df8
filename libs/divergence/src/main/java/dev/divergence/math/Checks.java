package dev.divergence.math;

/**
 * Argument checks shared by every kernel. Each failure is an {@link IllegalArgumentException}
 * that names the argument and, for arrays, the first offending index, so that services can map
 * it to a field-level 4xx / INVALID_ARGUMENT without parsing stack traces.
 */
public final class Checks {

    /**
     * How far the sum of a probability vector may be from one before it is rejected. Inputs that
     * come from float32 softmax over large vocabularies drift by ~1e-5; genuinely unnormalised
     * inputs (counts, scores) are off by far more and must ask for {@link Normalisation#NORMALISE}.
     */
    public static final double SUM_TOLERANCE = 1e-4;

    private Checks() {
    }

    public static IllegalArgumentException bad(String argument, String problem) {
        return new IllegalArgumentException(argument + ": " + problem);
    }

    public static IllegalArgumentException badAt(String argument, long index, String problem) {
        return new IllegalArgumentException(argument + "[" + index + "]: " + problem);
    }

    public static void notNull(Object value, String argument) {
        if (value == null) {
            throw bad(argument, "must not be null");
        }
    }

    public static void nonEmpty(double[] values, String argument) {
        notNull(values, argument);
        if (values.length == 0) {
            throw bad(argument, "must not be empty");
        }
    }

    public static void nonEmpty(float[] values, String argument) {
        notNull(values, argument);
        if (values.length == 0) {
            throw bad(argument, "must not be empty");
        }
    }

    public static void sameLength(int expected, int actual, String argument) {
        if (expected != actual) {
            throw bad(argument, "has length " + actual + " but " + expected + " was expected (shape mismatch)");
        }
    }

    public static void finite(double[] values, String argument) {
        nonEmpty(values, argument);
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw badAt(argument, i, "must be finite but is " + values[i]);
            }
        }
    }

    public static void finite(float[] values, int from, int to, String argument) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(values[i])) {
                throw badAt(argument, i, "must be finite but is " + values[i]);
            }
        }
    }

    public static void finite(double[] values, int from, int to, String argument) {
        for (int i = from; i < to; i++) {
            if (!Double.isFinite(values[i])) {
                throw badAt(argument, i, "must be finite but is " + values[i]);
            }
        }
    }

    /** Finite and not negative; returns the sum so callers can normalise without a second pass. */
    public static double nonNegative(double[] values, String argument) {
        nonEmpty(values, argument);
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (!Double.isFinite(v)) {
                throw badAt(argument, i, "must be finite but is " + v);
            }
            if (v < 0) {
                throw badAt(argument, i, "must not be negative but is " + v);
            }
            sum += v;
        }
        return sum;
    }

    /** Checks a probability vector and returns the vector to use (a normalised copy if asked). */
    public static double[] distribution(double[] values, String argument, Normalisation normalisation) {
        double sum = nonNegative(values, argument);
        if (normalisation == Normalisation.NORMALISE) {
            if (!(sum > 0)) {
                throw bad(argument, "sums to 0 and cannot be normalised");
            }
            double[] normalised = new double[values.length];
            // divide (not multiply by 1/sum) so results agree with numpy's p / p.sum() to the last bit
            for (int i = 0; i < values.length; i++) {
                normalised[i] = values[i] / sum;
            }
            return normalised;
        }
        if (Math.abs(sum - 1.0) > SUM_TOLERANCE) {
            throw bad(argument, "sums to " + sum + ", not 1 (pass Normalisation.NORMALISE to rescale)");
        }
        return values;
    }

    public static void finiteParameter(double value, String argument) {
        if (!Double.isFinite(value)) {
            throw bad(argument, "must be finite but is " + value);
        }
    }

    public static void positive(double value, String argument) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw bad(argument, "must be a positive finite number but is " + value);
        }
    }

    public static void inClosedRange(double value, double low, double high, String argument) {
        if (!(value >= low && value <= high)) {
            throw bad(argument, "must be in [" + low + ", " + high + "] but is " + value);
        }
    }

    public static void positive(int value, String argument) {
        if (value <= 0) {
            throw bad(argument, "must be positive but is " + value);
        }
    }
}
