package dev.divergence.math.logits;

/**
 * Forward value of a fused divergence for one float32 row pair. Returns NaN when the row holds a
 * non-finite logit; the caller then finds and reports the index (keeping the check out of the hot loop).
 */
interface FloatRowKernel {

    double compute(FusedKind kind, double parameter, float[] teacher, float[] student, int base, int vocab,
                   float invT, float[] scratchTeacher, float[] scratchStudent);

    /** Whether this kernel handles the kind (the others go to the float64 kernel). */
    static boolean supports(FusedKind kind) {
        return kind != FusedKind.GENERIC;
    }
}
