package dev.divergence.math.transport;

/**
 * Result of one entropic OT problem. {@code cost} is <P, M> with the entropy term excluded (POT's
 * sinkhorn2); {@code f} and {@code g} are the dual potentials in cost units (POT's reg * log u,
 * reg * log v); {@code plan} is row-major [n, m] when asked for, else null.
 */
public record SinkhornResult(double cost, double[] plan, double[] f, double[] g, int iterations,
                             double marginalError, boolean converged) {
}
