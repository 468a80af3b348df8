package dev.divergence.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Shared bits of the module's tests: the CPU NDManager and test resources as paths. */
public final class TestSupport {

    private TestSupport() {
    }

    public static NDManager newManager() {
        DjlRuntime.configure(Path.of("target", "djl-cache"));
        return NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
    }

    /** float32 machine epsilon (2^-23): twice the unit round-off, so the bounds below are not tight. */
    public static final double FLOAT32_EPS = 0x1p-23;

    /**
     * The largest difference two float32 evaluations of the same decoder may show at a logit when
     * they differ only in summation order (a KV cache against the whole sequence, a batch row
     * against the row alone, PyTorch against libtorch through DJL, AVX-512 against AVX2 kernels).
     *
     * <p>A float32 sum of n products is within n * eps * sum|x_i y_i| of the exact value (Higham's
     * gamma_n bound). Along the path to one logit the reductions are, per layer: the input RMS norm
     * and the q, k, v projections (hidden each), the attention scores (head dim), the softmax
     * normaliser and the attention-weighted values (positions each), the o projection (heads * head
     * dim), the post-attention RMS norm, gate and up (hidden each) and down (intermediate); then the
     * final norm and the LM head (hidden each). Their lengths add up to N. Errors entering a pre-norm
     * block leave it at most O(1) larger relative to its output, so taking each stage's
     * sum|x_i y_i| as the size of the logits puts each evaluation within N * u * max|logit| of the
     * exact value (u = 2^-24, the unit round-off) and two evaluations within N * eps * max|logit|
     * of each other: a worst-case linear bound (rounding errors usually grow like sqrt(N)), about
     * 1e-4 of the largest logit for the small test configs.
     */
    public static double forwardTolerance(dev.divergence.model.lm.LlamaConfig config, int positions, float[] logits) {
        long n = forwardTolerancePathLength(config, positions);
        double largest = 0;
        for (float v : logits) {
            largest = Math.max(largest, Math.abs(v));
        }
        return n * FLOAT32_EPS * largest;
    }

    /** N of {@link #forwardTolerance}: the summed reduction lengths along the path to one logit. */
    public static long forwardTolerancePathLength(dev.divergence.model.lm.LlamaConfig config, int positions) {
        int hidden = config.hiddenSize();
        long perLayer = hidden + 3L * hidden + config.headDim() + 2L * positions + (long) config.numHeads() * config.headDim()
                + hidden + 2L * hidden + config.intermediateSize();
        return config.numLayers() * perLayer + 2L * hidden;
    }

    public static Path resource(String name) {
        try {
            return Path.of(TestSupport.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource missing: " + name, e);
        }
    }
}
