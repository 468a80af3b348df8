package dev.divergence.math.calibration;

/**
 * Which bin a confidence lying exactly on an edge belongs to. Edges are numpy.linspace(0, 1, bins + 1)
 * (edge i = i * (1/bins), the last exactly 1). The conventions differ only for confidences on an
 * edge, at 0 or at 1 (see the reference file's "confidences_on_bin_edges_and_1.0" case).
 */
public enum BinEdges {
    /**
     * [e_i, e_i+1), the last bin closed: 1.0 falls in the last bin, 0.0 in the first. The platform's
     * default: every confidence in [0, 1] lands in one of the {@code bins} visible bins.
     */
    NUMPY_HISTOGRAM,
    /**
     * torchmetrics (torch.bucketize(right=True) - 1): [e_i, e_i+1), and 1.0 goes to an extra
     * (bins+1)-th bin of its own, which still counts in the error (torchmetrics issue #3510).
     */
    TORCHMETRICS,
    /** Guo et al.'s loop: (e_i, e_i+1]; a confidence of exactly 0 is in no bin (but counts in N). */
    GUO
}
