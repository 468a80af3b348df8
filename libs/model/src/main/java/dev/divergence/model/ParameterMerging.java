package dev.divergence.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;

/**
 * Merges of parameter sets of one architecture: weighted averages (model soups, WiSE-FT, a
 * static T³ coefficient) and task arithmetic. Sets must have the same tensor names and shapes;
 * the first mismatch is reported by name.
 */
public final class ParameterMerging {

    private ParameterMerging() {
    }

    /** sum_i w_i * theta_i; weights are used as given (normalise them yourself for an average). */
    public static Parameters weightedSum(NDManager manager, List<Parameters> sets, double[] weights) {
        if (sets.isEmpty()) {
            throw new InvalidModelException("models", "nothing to merge");
        }
        if (sets.size() != weights.length) {
            throw new InvalidModelException("weights", weights.length + " weights for " + sets.size() + " models");
        }
        Parameters first = sets.get(0);
        for (int i = 1; i < sets.size(); i++) {
            requireSameLayout(first, sets.get(i), "models[" + i + "]");
        }
        Parameters out = new Parameters(manager);
        for (String name : first.asMap().keySet()) {
            NDArray acc = first.get(name).stopGradient().mul((float) weights[0]);
            for (int i = 1; i < sets.size(); i++) {
                NDArray term = sets.get(i).get(name).stopGradient().mul((float) weights[i]);
                acc.addi(term);
                term.close();
            }
            out.put(name, acc);
        }
        return out;
    }

    /** Weighted average: weights normalised to sum to one (uniform soup when all equal). */
    public static Parameters weightedAverage(NDManager manager, List<Parameters> sets, double[] weights) {
        double total = 0;
        for (double w : weights) {
            if (w < 0 || !Double.isFinite(w)) {
                throw new InvalidModelException("weights", "must be finite and non-negative, got " + w);
            }
            total += w;
        }
        if (total <= 0) {
            throw new InvalidModelException("weights", "must not all be zero");
        }
        double[] normalised = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            normalised[i] = weights[i] / total;
        }
        return weightedSum(manager, sets, normalised);
    }

    /** lambda * a + (1 - lambda) * b. */
    public static Parameters interpolate(NDManager manager, Parameters a, Parameters b, double lambda) {
        return weightedSum(manager, List.of(a, b), new double[] {lambda, 1 - lambda});
    }

    /** Task arithmetic: base + sum_i scale_i * (expert_i - base). */
    public static Parameters taskArithmetic(NDManager manager, Parameters base, List<Parameters> experts, double[] scales) {
        if (experts.size() != scales.length) {
            throw new InvalidModelException("scales", scales.length + " scales for " + experts.size() + " experts");
        }
        double baseWeight = 1;
        for (double s : scales) {
            baseWeight -= s;
        }
        // base + sum s_i (e_i - base) == (1 - sum s_i) base + sum s_i e_i: one weighted sum
        List<Parameters> all = new java.util.ArrayList<>();
        all.add(base);
        all.addAll(experts);
        double[] weights = new double[scales.length + 1];
        weights[0] = baseWeight;
        System.arraycopy(scales, 0, weights, 1, scales.length);
        return weightedSum(manager, all, weights);
    }

    public static void requireSameLayout(Parameters expected, Parameters actual, String what) {
        Map<String, NDArray> a = expected.asMap();
        Map<String, NDArray> b = actual.asMap();
        for (Map.Entry<String, NDArray> e : a.entrySet()) {
            NDArray other = b.get(e.getKey());
            if (other == null) {
                throw new InvalidModelException(e.getKey(), "missing in " + what);
            }
            if (!other.getShape().equals(e.getValue().getShape())) {
                throw new InvalidModelException(e.getKey(), "shape " + other.getShape() + " in " + what
                        + " does not match " + e.getValue().getShape());
            }
        }
        for (String name : b.keySet()) {
            if (!a.containsKey(name)) {
                throw new InvalidModelException(name, "only present in " + what);
            }
        }
    }
}
