package dev.divergence.math.calibration;

/** How per-bin gaps |accuracy - confidence| are combined. */
public enum CalibrationNorm {
    /** Expected calibration error: sum of bin share * gap. */
    L1,
    /** RMS calibration error: sqrt(sum of bin share * gap^2). */
    L2,
    /** Maximum calibration error: the largest gap over non-empty bins. */
    MAX
}
