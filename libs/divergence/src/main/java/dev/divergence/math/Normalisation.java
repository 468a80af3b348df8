package dev.divergence.math;

/** What to do with probability inputs whose entries do not sum to one. */
public enum Normalisation {
    /** Reject vectors whose sum differs from 1 by more than {@link Checks#SUM_TOLERANCE}. */
    REQUIRE_NORMALISED,
    /** Divide by the sum first, as scipy.stats.entropy and scipy's jensenshannon do. */
    NORMALISE
}
