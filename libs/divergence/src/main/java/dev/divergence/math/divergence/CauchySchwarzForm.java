package dev.divergence.math.divergence;

/** The two forms of the Cauchy-Schwarz divergence in use. */
public enum CauchySchwarzForm {
    /** -log(sum pq / sqrt(sum p^2 sum q^2)); vocabulary name {@code cauchy_schwarz}. */
    HALF,
    /** -log((sum pq)^2 / (sum p^2 sum q^2)), twice {@link #HALF}; {@code cauchy_schwarz_squared}. */
    SQUARED
}
