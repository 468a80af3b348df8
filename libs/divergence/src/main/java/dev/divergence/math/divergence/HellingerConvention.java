package dev.divergence.math.divergence;

/** The two conventions for the squared Hellinger distance found in the literature and libraries. */
public enum HellingerConvention {
    /** 1/2 sum (sqrt p - sqrt q)^2 = 1 - BC, in [0, 1]; vocabulary name {@code hellinger}. */
    HALF,
    /** sum (sqrt p - sqrt q)^2 = 2 (1 - BC), in [0, 2]; vocabulary name {@code hellinger_full}. */
    FULL
}
