package dev.divergence.math.calibration;

import dev.divergence.math.Checks;

import java.util.stream.IntStream;

/**
 * Calibration metrics over equal-width confidence bins: ECE (L1), RMSCE (L2), MCE (max), the
 * reliability-diagram data, and the Brier score. Confidences and accuracies can come from a
 * multiclass top label ({@link #topLabel}) or be given directly (binary: torchmetrics treats the
 * prediction as the confidence and the 0/1 target as the accuracy).
 */
public final class Calibration {

    /** torchmetrics' and the platform's default number of bins. */
    public static final int DEFAULT_BINS = 15;

    /** Above this many samples the binning pass is split across cores. */
    private static final int PARALLEL_THRESHOLD = 1 << 16;

    private Calibration() {
    }

    /** Top-label confidences (max probability) and accuracies (argmax == target; first max wins ties). */
    public record TopLabel(double[] confidences, double[] accuracies) {
    }

    public static TopLabel topLabel(double[][] probabilities, int[] targets) {
        Checks.notNull(probabilities, "probabilities");
        Checks.notNull(targets, "targets");
        if (probabilities.length == 0) {
            throw Checks.bad("probabilities", "must not be empty");
        }
        Checks.sameLength(probabilities.length, targets.length, "targets");
        double[] conf = new double[targets.length];
        double[] acc = new double[targets.length];
        int classes = probabilities[0].length;
        for (int r = 0; r < targets.length; r++) {
            double[] row = probabilities[r];
            Checks.notNull(row, "probabilities[" + r + "]");
            Checks.sameLength(classes, row.length, "probabilities[" + r + "]");
            int best = 0;
            for (int k = 0; k < row.length; k++) {
                if (!(row[k] >= 0 && row[k] <= 1)) {
                    throw Checks.badAt("probabilities[" + r + "]", k, "must be a probability in [0, 1] but is " + row[k]);
                }
                if (row[k] > row[best]) {
                    best = k;
                }
            }
            if (targets[r] < 0 || targets[r] >= classes) {
                throw Checks.badAt("targets", r, "must be a class index in [0, " + classes + ") but is " + targets[r]);
            }
            conf[r] = row[best];
            acc[r] = best == targets[r] ? 1.0 : 0.0;
        }
        return new TopLabel(conf, acc);
    }

    /** Calibration error with the platform defaults for edges (numpy histogram). */
    public static double error(double[] confidences, double[] accuracies, int bins, CalibrationNorm norm) {
        return error(confidences, accuracies, bins, norm, BinEdges.NUMPY_HISTOGRAM);
    }

    public static double error(double[] confidences, double[] accuracies, int bins, CalibrationNorm norm, BinEdges edges) {
        Checks.notNull(norm, "norm");
        ReliabilityBin[] diagram = reliability(confidences, accuracies, bins, edges);
        double n = confidences.length;
        double total = 0;
        for (ReliabilityBin bin : diagram) {
            if (bin.count() == 0) {
                continue;
            }
            double gap = Math.abs(bin.accuracy() - bin.meanConfidence());
            double share = bin.count() / n;
            switch (norm) {
                case L1 -> total += share * gap;
                case L2 -> total += share * gap * gap;
                case MAX -> total = Math.max(total, gap);
            }
        }
        return norm == CalibrationNorm.L2 ? Math.sqrt(total) : total;
    }

    /**
     * Reliability-diagram data: one entry per bin ({@code bins + 1} entries for TORCHMETRICS, whose
     * last entry is the [1, 1] slot). Accuracies are 0/1 or, for soft labels, in [0, 1].
     */
    public static ReliabilityBin[] reliability(double[] confidences, double[] accuracies, int bins, BinEdges edges) {
        Checks.nonEmpty(confidences, "confidences");
        Checks.notNull(accuracies, "accuracies");
        Checks.sameLength(confidences.length, accuracies.length, "accuracies");
        Checks.positive(bins, "bins");
        Checks.notNull(edges, "edges");
        double[] boundaries = new double[bins + 1];
        double step = 1.0 / bins;
        for (int i = 0; i <= bins; i++) {
            boundaries[i] = i * step; // numpy.linspace: i * step, then the last pinned to 1
        }
        boundaries[bins] = 1.0;
        int slots = edges == BinEdges.TORCHMETRICS ? bins + 1 : bins;
        int n = confidences.length;
        // per-slot count, sum of confidences, sum of accuracies; accumulated per chunk, merged in order
        int chunks = n >= PARALLEL_THRESHOLD ? Math.max(1, Math.min(64, n / (PARALLEL_THRESHOLD / 4))) : 1;
        double[][] partial = new double[chunks][];
        IntStream stream = IntStream.range(0, chunks);
        if (chunks > 1) {
            stream = stream.parallel();
        }
        stream.forEach(c -> {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            double[] acc = new double[3 * slots];
            for (int r = from; r < to; r++) {
                double conf = confidences[r];
                double a = accuracies[r];
                if (!(conf >= 0 && conf <= 1)) {
                    throw Checks.badAt("confidences", r, "must be in [0, 1] but is " + conf);
                }
                if (!(a >= 0 && a <= 1)) {
                    throw Checks.badAt("accuracies", r, "must be in [0, 1] but is " + a);
                }
                int slot = slot(conf, boundaries, bins, edges);
                if (slot < 0) {
                    continue;
                }
                acc[3 * slot] += 1;
                acc[3 * slot + 1] += conf;
                acc[3 * slot + 2] += a;
            }
            partial[c] = acc;
        });
        ReliabilityBin[] out = new ReliabilityBin[slots];
        for (int s = 0; s < slots; s++) {
            double count = 0;
            double confSum = 0;
            double accSum = 0;
            for (double[] p : partial) {
                count += p[3 * s];
                confSum += p[3 * s + 1];
                accSum += p[3 * s + 2];
            }
            double lower = s < bins ? boundaries[s] : 1.0;
            double upper = s < bins ? boundaries[s + 1] : 1.0;
            out[s] = new ReliabilityBin(lower, upper, (long) count,
                    count == 0 ? Double.NaN : confSum / count, count == 0 ? Double.NaN : accSum / count);
        }
        return out;
    }

    /** The slot of one confidence, -1 when the convention puts it in no bin. */
    static int slot(double conf, double[] boundaries, int bins, BinEdges edges) {
        // number of edges <= conf (torch.bucketize right=True): a first guess from the arithmetic,
        // then corrected against the actual edges exactly as numpy.histogram does
        int atOrBelow = Math.min((int) (conf * bins), bins) + 1;
        while (atOrBelow > 1 && boundaries[atOrBelow - 1] > conf) {
            atOrBelow--;
        }
        while (atOrBelow < boundaries.length && boundaries[atOrBelow] <= conf) {
            atOrBelow++;
        }
        return switch (edges) {
            case TORCHMETRICS -> atOrBelow - 1;
            case NUMPY_HISTOGRAM -> Math.min(atOrBelow - 1, bins - 1);
            case GUO -> {
                if (conf == 0) {
                    yield -1;
                }
                // (e_i, e_i+1]: a value on an edge belongs to the bin below it
                boolean onEdge = boundaries[atOrBelow - 1] == conf;
                yield onEdge ? atOrBelow - 2 : atOrBelow - 1;
            }
        };
    }

    /** Multiclass Brier score: mean over samples of sum_k (p_k - onehot_k)^2 (range [0, 2]). */
    public static double brier(double[][] probabilities, int[] targets) {
        TopLabel ignored = topLabel(probabilities, targets); // validates shapes, ranges and targets
        double total = 0;
        for (int r = 0; r < targets.length; r++) {
            double s = 0;
            for (int k = 0; k < probabilities[r].length; k++) {
                double d = probabilities[r][k] - (k == targets[r] ? 1 : 0);
                s += d * d;
            }
            total += s;
        }
        return total / targets.length;
    }

    /** Binary Brier score: mean (p - y)^2 with y in {0, 1} (or soft labels in [0, 1]). */
    public static double brierBinary(double[] predictions, double[] targets) {
        Checks.nonEmpty(predictions, "predictions");
        Checks.notNull(targets, "targets");
        Checks.sameLength(predictions.length, targets.length, "targets");
        double total = 0;
        for (int r = 0; r < predictions.length; r++) {
            if (!(predictions[r] >= 0 && predictions[r] <= 1)) {
                throw Checks.badAt("predictions", r, "must be in [0, 1] but is " + predictions[r]);
            }
            if (!(targets[r] >= 0 && targets[r] <= 1)) {
                throw Checks.badAt("targets", r, "must be in [0, 1] but is " + targets[r]);
            }
            double d = predictions[r] - targets[r];
            total += d * d;
        }
        return total / predictions.length;
    }
}
