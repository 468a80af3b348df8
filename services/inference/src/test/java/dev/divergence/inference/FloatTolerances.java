package dev.divergence.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.Parameters;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.SingleWeights;
import dev.divergence.model.lm.LlamaConfig;
import java.util.Map;

/**
 * How far two float32 evaluations of the same model may differ when they differ only in summation
 * order (the serving backend's batched forward against an in-process one, a KV cache against a
 * whole sequence). The same derivation as libs/model's test support: a float32 sum of n products is
 * within n * u * sum|x_i y_i| of exact (u = 2^-24, Higham's gamma_n), so two evaluations are within
 * n * eps * sum|x_i y_i| of each other (eps = 2u = 2^-23); along a model's forward path the
 * reduction lengths add up.
 */
public final class FloatTolerances {

    public static final double FLOAT32_EPS = 0x1p-23;

    private FloatTolerances() {
    }

    /**
     * Decoder logits: per layer the input RMS norm and q, k, v (hidden each), the scores (head dim),
     * the softmax normaliser and the weighted values (positions each), o (heads * head dim), the
     * second norm, gate and up (hidden each), down (intermediate); then the final norm and the head.
     * With every stage's sum|terms| taken as the size of the logits (pre-norm blocks keep relative
     * errors from growing through a layer): |delta logit| <= N * eps * max|logit|, worst case.
     */
    public static double decoderLogits(LlamaConfig config, int positions, double largestLogit) {
        int hidden = config.hiddenSize();
        long perLayer = hidden + 3L * hidden + config.headDim() + 2L * positions + (long) config.numHeads() * config.headDim()
                + hidden + 2L * hidden + config.intermediateSize();
        long n = config.numLayers() * perLayer + 2L * hidden;
        return n * FLOAT32_EPS * largestLogit;
    }

    /**
     * Classifier logits of one feature row: N is the sum of the layers' fan-ins, and the same network
     * on |x| with |weights| gives every layer's sum|terms| (ReLU and max-pooling keep the bound),
     * earlier errors carried forward through |W|: |delta logit_c| <= N * eps * forward(|x|, |W|)_c.
     *
     * @return per class of each row, the bound, laid out like the logits
     */
    public static float[] classifierLogits(NDManager manager, Classifier classifier, NDArray features) {
        try (NDManager m = manager.newSubManager(); Parameters magnitudes = new Parameters(m)) {
            long n = 0;
            for (Map.Entry<String, NDArray> e : classifier.parameters().asMap().entrySet()) {
                magnitudes.put(e.getKey(), e.getValue().abs());
                if (e.getValue().getShape().dimension() > 1) {
                    n += e.getValue().size() / e.getValue().getShape().get(0);
                }
            }
            float[] bound = classifier.logits(new SingleWeights(magnitudes), features.abs()).toFloatArray();
            for (int i = 0; i < bound.length; i++) {
                bound[i] = (float) (n * FLOAT32_EPS * bound[i]);
            }
            return bound;
        }
    }

    public static double largestAbs(float[] values) {
        double largest = 0;
        for (float v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        return largest;
    }
}
