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
                    sumSquares += p.getGradient().square().sum().getFloat();
                }
            }
            return Math.sqrt(sumSquares);
        }
    }

    /**
     * Scales every gradient by min(1, maxNorm / (norm + 1e-6)) in place; returns the norm before
     * clipping (what trainers log).
     */
    public static double clipByGlobalNorm(Parameters params, double maxNorm) {
        double norm = globalNorm(params);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (NDArray p : params.asMap().values()) {
                    if (p.hasGradient()) {
                        p.getGradient().muli((float) scale);
                    }
                }
            }
        }
        return norm;
    }
}
