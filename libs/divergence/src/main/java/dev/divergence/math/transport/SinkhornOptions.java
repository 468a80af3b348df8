package dev.divergence.math.transport;

import dev.divergence.math.Checks;

/**
 * Entropic OT settings. {@code epsilon} is POT's {@code reg}; {@code tolerance} bounds the
 * max-norm error of the column marginal (rows are exact after each update); with
 * {@code epsilonScaling} the solver starts at a large epsilon and halves it down to the target,
 * warm-starting the potentials, which is what makes small epsilons converge in few iterations.
 */
public record SinkhornOptions(double epsilon, double tolerance, int maxIterations, boolean epsilonScaling,
                              boolean returnPlan) {

    public SinkhornOptions {
        Checks.positive(epsilon, "epsilon");
        Checks.positive(tolerance, "tolerance");
        Checks.positive(maxIterations, "maxIterations");
    }

    public static SinkhornOptions of(double epsilon) {
        return new SinkhornOptions(epsilon, 1e-9, 100_000, true, false);
    }

    public SinkhornOptions withTolerance(double t) {
        return new SinkhornOptions(epsilon, t, maxIterations, epsilonScaling, returnPlan);
    }

    public SinkhornOptions withMaxIterations(int n) {
        return new SinkhornOptions(epsilon, tolerance, n, epsilonScaling, returnPlan);
    }

    public SinkhornOptions withEpsilonScaling(boolean on) {
        return new SinkhornOptions(epsilon, tolerance, maxIterations, on, returnPlan);
    }

    public SinkhornOptions withPlan(boolean on) {
        return new SinkhornOptions(epsilon, tolerance, maxIterations, epsilonScaling, on);
    }
}
