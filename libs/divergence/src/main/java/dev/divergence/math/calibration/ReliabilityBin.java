package dev.divergence.math.calibration;

/** One bar of a reliability diagram; mean confidence and accuracy are NaN for an empty bin. */
public record ReliabilityBin(double lower, double upper, long count, double meanConfidence, double accuracy) {

    /** |accuracy - confidence| of the bin (0 when empty). */
    public double gap() {
        return count == 0 ? 0.0 : Math.abs(accuracy - meanConfidence);
    }
}
