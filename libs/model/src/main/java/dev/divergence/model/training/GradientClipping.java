package dev.divergence.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.divergence.model.Parameters;

/** Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ semantics). */
public final class GradientClipping {

    private GradientClipping() {
    }

    /** The L2 norm of all gradients together. */
    public static double globalNorm(Parameters params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double sumSquares = 0;
            for (NDArray p : params.asMap().values()) {
                if (p.hasGradient()) {
                    // norm() reads the gradient once; square().sum() also wrote a gradient-sized temporary
                    double norm = p.getGradient().norm().getFloat();
                    sumSquares += norm * norm;
                }
            }
            return Math.sqrt(sumSquares);
        }
    }

    /** The factor clipping to {@code maxNorm} multiplies gradients of global norm {@code norm} by (at most 1). */
    public static double clipFactor(double norm, double maxNorm) {
        return Math.min(1, maxNorm / (norm + 1e-6));
    }

    /**
     * Scales every gradient by min(1, maxNorm / (norm + 1e-6)) in place; returns the norm before
     * clipping (what trainers log).
     */
    public static double clipByGlobalNorm(Parameters params, double maxNorm) {
        double norm = globalNorm(params);
        scaleGradients(params, clipFactor(norm, maxNorm));
        return norm;
    }

    /** Multiplies every gradient by {@code factor} in place (nothing to do for 1). */
    public static void scaleGradients(Parameters params, double factor) {
        if (factor == 1) {
            return;
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray p : params.asMap().values()) {
                if (p.hasGradient()) {
                    p.getGradient().muli((float) factor);
                }
            }
        }
    }
}
