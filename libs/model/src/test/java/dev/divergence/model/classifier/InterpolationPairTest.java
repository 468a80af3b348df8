package dev.divergence.model.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.TestSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link InterpolationPair}'s two paths against the direct computations: the concatenated-weight
 * layers against the two separate layers, the per-sample mixed pass against materialising each
 * sample's merged weights ({@link ParameterMerging#interpolate}), the flat-buffer merge against
 * {@link ParameterMerging#interpolate}'s per-tensor merge, and the merged forward against a classifier
 * over those merged tensors, also with several threads merging at different weights at once.
 *
 * <p>Tolerances use u = 2^-24 (float32 unit round-off). A float32 sum of n products with a bias is
 * within (n + 1) u * sum|terms| of exact (Higham's gamma bound, first order); two evaluations of the
 * same sum in different orders (a 2x wider kernel, another CPU's vector width) are within twice that.
 * sum|terms| at every output of a network comes from the same network run on |x| with |weights|
 * (ReLU is 1-Lipschitz and the identity on non-negative values, so errors of earlier layers are carried
 * forward at most through |W|).
 */
class InterpolationPairTest {

    private static final double U = 0x1p-24;
    private static final long SEED = 20261206L;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    static Stream<ClassifierSpec> specs() {
        return Stream.of(ClassifierSpec.mlp(30, List.of(16, 12), 3), ClassifierSpec.cnn(8, 1, 4, 6, 10));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void concatenatedLayersEqualTheTwoSeparateLayers(ClassifierSpec spec) {
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 1);
                Classifier b = Classifier.initialize(m, spec, 2);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            int batch = 4;
            // coefficients (1, 0) select A's half and (0, 1) B's: 1 * y + 0 * y' = y exactly, so each row
            // is one model's layer evaluated inside the 2x wide matmul / convolution
            NDArray c = m.create(new float[] {1, 0, 0, 1, 1, 0, 0, 1}, new Shape(batch, 2));
            ConcatenatedMixedWeights both = new ConcatenatedMixedWeights(pair.concatenated(), "head", c.get(":, 0:1"), c.get(":, 1:2"),
                    c.reshape(batch, 1, 2));
            NDArray x;
            List<NDArray[]> layers = new ArrayList<>();
            if (spec.modelType().equals("mlp")) {
                x = m.randomNormal(new Shape(batch, spec.inputDim()));
                layers.add(new NDArray[] {both.linear(x, "layers.0"), new SingleWeights(a.parameters()).linear(x, "layers.0"),
                    new SingleWeights(b.parameters()).linear(x, "layers.0"), bound(x, a, b, "layers.0", true)});
            } else {
                x = m.randomNormal(new Shape(batch, 4, 8, 8));
                layers.add(new NDArray[] {both.conv2d(x, "conv2", 2, 1), new SingleWeights(a.parameters()).conv2d(x, "conv2", 2, 1),
                    new SingleWeights(b.parameters()).conv2d(x, "conv2", 2, 1), bound(x, a, b, "conv2", false)});
            }
            // fan-in: 30 inputs (linear) or 4 channels x 3 x 3 (convolution)
            long fanIn = spec.modelType().equals("mlp") ? 30 : 36;
            for (NDArray[] layer : layers) {
                assertThat(layer[0].getShape()).isEqualTo(layer[1].getShape());
                float[] got = layer[0].toFloatArray();
                float[] fromA = layer[1].toFloatArray();
                float[] fromB = layer[2].toFloatArray();
                float[] terms = layer[3].toFloatArray();
                int perRow = got.length / batch;
                for (int k = 0; k < got.length; k++) {
                    float expected = (k / perRow) % 2 == 0 ? fromA[k] : fromB[k];
                    // the same sum of fanIn products and a bias in two summation orders
                    assertThat((double) got[k]).as("output %d", k).isCloseTo(expected, offset(2 * (fanIn + 1) * U * terms[k]));
                }
            }
        }
    }

    /** |x| through max(|W_A|, |W_B|) and max(|b_A|, |b_B|): sum|terms| of one layer. */
    private static NDArray bound(NDArray x, Classifier a, Classifier b, String prefix, boolean linear) {
        Parameters abs = new Parameters(x.getManager());
        for (String t : List.of(".weight", ".bias")) {
            abs.put(prefix + t, a.parameters().get(prefix + t).abs().maximum(b.parameters().get(prefix + t).abs()));
        }
        SingleWeights w = new SingleWeights(abs);
        return linear ? w.linear(x.abs(), prefix) : w.conv2d(x.abs(), prefix, 2, 1);
    }

    @ParameterizedTest
    @MethodSource("specs")
    void mixedPassEqualsMaterialisedPerSampleWeights(ClassifierSpec spec) {
        System.out.println("mixedPassEqualsMaterialisedPerSampleWeights " + spec.modelType() + " seed " + SEED);
        SplittableRandom random = new SplittableRandom(SEED);
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 1);
                Classifier b = Classifier.initialize(m, spec, 2)) {
            int batch = 8;
            NDArray x = m.randomNormal(new Shape(batch, spec.inputDim()));
            double[] w = new double[batch];
            for (int i = 0; i < batch; i++) {
                // the ends, then random weights, one of them outside [0, 1] (extrapolation is linear too)
                w[i] = i == 0 ? 0 : i == 1 ? 1 : i == 2 ? 1.25 : random.nextDouble();
            }
            float[] mixed = a.interpolationWith(b).perSampleLogits(x, w).toFloatArray();
            float[] bound = absoluteForward(m, spec, x.abs(), a, b, w).toFloatArray();
            // Per layer of fan-in n, the mixed side rounds the two (n + 1)-term sums of the wide layer,
            // then 1 - w_i, the two products by the coefficients and their sum (3 more roundings); the
            // materialised side rounds each merged weight (3 roundings: two products and a sum, which
            // scale with the same sum|terms|) and one (n + 1)-term sum. Each side is within
            // sum_l (n_l + 4) u * sum|terms| of exact; sum|terms| is bounded by the absolute forward with
            // max(|w_i|, |1 - w_i|) * (|W_A| + |W_B|) per layer; the two sides differ by twice that.
            double steps = 0;
            for (Map.Entry<String, Shape> e : spec.parameterShapes().entrySet()) {
                if (e.getValue().dimension() > 1) {
                    steps += e.getValue().size() / e.getValue().get(0) + 4;
                }
            }
            int classes = spec.numClasses();
            for (int i = 0; i < batch; i++) {
                try (NDManager s = m.newSubManager()) {
                    Parameters merged = ParameterMerging.interpolate(s, a.parameters(), b.parameters(), w[i]);
                    float[] one = new Classifier(spec, merged).logits(x.get(i + ":" + (i + 1))).toFloatArray();
                    for (int c = 0; c < classes; c++) {
                        assertThat((double) mixed[i * classes + c]).as("seed %d sample %d w %s class %d", SEED, i, w[i], c)
                                .isCloseTo(one[c], offset(2 * steps * U * bound[i * classes + c]));
                    }
                }
            }
        }
    }

    /** Per sample, the forward on |x| with max(|w_i|, |1 - w_i|) (|W_A| + |W_B|): bounds sum|terms| of both sides. */
    private static NDArray absoluteForward(NDManager m, ClassifierSpec spec, NDArray absX, Classifier a, Classifier b, double[] w) {
        List<NDArray> rows = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            Parameters abs = new Parameters(m);
            float scale = (float) Math.max(Math.abs(w[i]), Math.abs(1 - w[i]));
            for (String name : spec.parameterShapes().keySet()) {
                abs.put(name, a.parameters().get(name).abs().add(b.parameters().get(name).abs()).mul(scale));
            }
            rows.add(new Classifier(spec, abs).logits(absX.get(i + ":" + (i + 1))));
        }
        return NDArrays.concat(new ai.djl.ndarray.NDList(rows));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void flatMergeEqualsPerTensorInterpolation(ClassifierSpec spec) {
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 3);
                Classifier b = Classifier.initialize(m, spec, 4);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            float[] flat = new float[pair.parameterCount()];
            for (double w : new double[] {0, 1, 0.5, 0.3, 0.586, -0.2, 1.7}) {
                pair.merge(w, flat);
                try (Parameters expected = ParameterMerging.interpolate(m, a.parameters(), b.parameters(), w)) {
                    int offset = 0;
                    for (String name : pair.names()) {
                        float[] e = expected.get(name).toFloatArray();
                        float[] ta = a.parameters().get(name).toFloatArray();
                        float[] tb = b.parameters().get(name).toFloatArray();
                        for (int k = 0; k < e.length; k++) {
                            // both sides compute fl(fl(w_A a) + fl(w_B b)) from the same float32 operands, so
                            // in IEEE arithmetic they agree to the bit; a kernel contracting one product and
                            // the sum into an FMA skips one rounding of a product: at most u (|w_A a| + |w_B b|)
                            double terms = Math.abs((float) w * ta[k]) + Math.abs((float) (1 - w) * tb[k]);
                            assertThat((double) flat[offset + k]).as("w %s %s[%d]", w, name, k).isCloseTo(e[k], offset(U * terms));
                        }
                        offset += e.length;
                    }
                    assertThat(offset).isEqualTo(flat.length);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("specs")
    void mergedForwardEqualsForwardOfInterpolatedParameters(ClassifierSpec spec) {
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 5);
                Classifier b = Classifier.initialize(m, spec, 6);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            NDArray x = m.randomNormal(new Shape(7, spec.inputDim()));
            // several merges in a row through the same buffer: each forward sees its own weight's values
            for (double w : new double[] {0.25, 1, 0, 0.75, 0.25}) {
                assertMergedForward(m, spec, a, b, pair.mergedLogits(x, w).toFloatArray(), x, w, "w " + w);
            }
        }
    }

    @Test
    void concurrentMergesEachUseTheirOwnWeight() throws Exception {
        ClassifierSpec spec = ClassifierSpec.cnn(8, 1, 4, 6, 10);
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 7);
                Classifier b = Classifier.initialize(m, spec, 8);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            NDArray x = m.randomNormal(new Shape(5, spec.inputDim()));
            double[] weights = {0, 0.2, 0.4, 0.6, 0.8, 1};
            ExecutorService pool = Executors.newFixedThreadPool(weights.length);
            try {
                List<Future<List<float[]>>> results = new ArrayList<>();
                for (double w : weights) {
                    results.add(pool.submit(() -> {
                        List<float[]> out = new ArrayList<>();
                        for (int r = 0; r < 40; r++) {
                            NDArray logits = pair.mergedLogits(x, w);
                            out.add(logits.toFloatArray());
                            logits.close();
                        }
                        return out;
                    }));
                }
                for (int t = 0; t < weights.length; t++) {
                    for (float[] logits : results.get(t).get()) {
                        assertMergedForward(m, spec, a, b, logits, x, weights[t], "thread with w " + weights[t]);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void concurrentMixedPassesEachUseTheirOwnCoefficients() throws Exception {
        ClassifierSpec spec = ClassifierSpec.mlp(30, List.of(16, 12), 3);
        System.out.println("concurrentMixedPassesEachUseTheirOwnCoefficients seed " + SEED);
        SplittableRandom random = new SplittableRandom(SEED + 1);
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 11);
                Classifier b = Classifier.initialize(m, spec, 12);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            int batch = 5;
            NDArray x = m.randomNormal(new Shape(batch, spec.inputDim()));
            int threads = 6;
            double[][] weights = new double[threads][batch];
            float[][] expected = new float[threads][];
            float[][] bounds = new float[threads][];
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < batch; i++) {
                    weights[t][i] = random.nextDouble();
                }
                // one thread first: the same pass, alone
                expected[t] = pair.perSampleLogits(x, weights[t]).toFloatArray();
                bounds[t] = absoluteForward(m, spec, x.abs(), a, b, weights[t]).toFloatArray();
            }
            // the same batch size on every thread, so they share (and must not mix up) the coefficient buffers
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<float[]>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    double[] w = weights[t];
                    results.add(pool.submit(() -> {
                        List<float[]> out = new ArrayList<>();
                        for (int r = 0; r < 40; r++) {
                            NDArray logits = pair.perSampleLogits(x, w);
                            out.add(logits.toFloatArray());
                            logits.close();
                        }
                        return out;
                    }));
                }
                // the same pass on another thread may differ from the lone one in summation order only:
                // per layer (n + 4) u * sum|terms| each way (see mixedPassEqualsMaterialisedPerSampleWeights);
                // another thread's coefficients would move a logit by |w_i - w'_i| |y_A - y_B|, far more
                double steps = 0;
                for (Shape shape : spec.parameterShapes().values()) {
                    if (shape.dimension() > 1) {
                        steps += 2 * (shape.size() / shape.get(0) + 4);
                    }
                }
                for (int t = 0; t < threads; t++) {
                    for (float[] logits : results.get(t).get()) {
                        for (int k = 0; k < logits.length; k++) {
                            assertThat((double) logits[k]).as("seed %d thread %d logit %d", SEED, t, k)
                                    .isCloseTo(expected[t][k], offset(steps * U * bounds[t][k]));
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * {@code got} against a classifier over ParameterMerging's merged tensors: the weights agree to
     * one rounding of a product (see flatMergeEqualsPerTensorInterpolation), the forwards only in
     * summation order: per layer (n + 1) u * sum|terms| each side, plus the weights' difference of
     * u * |w_A a| + u * |w_B b| carried like one more term; sum|terms| from the forward on |x| with
     * |w_A| |W_A| + |w_B| |W_B|.
     */
    private static void assertMergedForward(NDManager m, ClassifierSpec spec, Classifier a, Classifier b, float[] got, NDArray x,
            double w, String what) {
        try (NDManager s = m.newSubManager()) {
            Parameters merged = ParameterMerging.interpolate(s, a.parameters(), b.parameters(), w);
            float[] expected = new Classifier(spec, merged).logits(x).toFloatArray();
            Parameters abs = new Parameters(s);
            double steps = 0;
            for (Map.Entry<String, Shape> e : spec.parameterShapes().entrySet()) {
                String name = e.getKey();
                abs.put(name, a.parameters().get(name).abs().mul((float) Math.abs(w)).add(b.parameters().get(name).abs().mul((float) Math.abs(1 - w))));
                if (e.getValue().dimension() > 1) {
                    steps += 2 * (e.getValue().size() / e.getValue().get(0) + 1) + 1;
                }
            }
            float[] bound = new Classifier(spec, abs).logits(x.abs()).toFloatArray();
            assertThat(got).hasSameSizeAs(expected);
            for (int k = 0; k < got.length; k++) {
                assertThat((double) got[k]).as("%s logit %d", what, k).isCloseTo(expected[k], offset(steps * U * bound[k]));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("specs")
    void bothLogitsEqualTheTwoForwards(ClassifierSpec spec) {
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 9);
                Classifier b = Classifier.initialize(m, spec, 10);
                InterpolationPair pair = new InterpolationPair(m, a, b)) {
            NDArray x = m.randomNormal(new Shape(6, spec.inputDim()));
            float[] both = pair.bothLogits(x).toFloatArray();
            int classes = spec.numClasses();
            assertThat(both).hasSize(6 * 2 * classes);
            // each half is that model's forward: the zero blocks of the block-diagonal weights add exact
            // zeros (inputs finite), so the two evaluations differ in summation order only: per layer of
            // fan-in n, (n + 1) u * sum|terms| each side (the zeros do not count), sum|terms| from the
            // forward on |x| with |W|
            for (Classifier model : List.of(a, b)) {
                int half = model == a ? 0 : classes;
                float[] own = model.logits(x).toFloatArray();
                float[] bound = absolute(m, spec, model).logits(x.abs()).toFloatArray();
                double steps = 0;
                for (Shape shape : spec.parameterShapes().values()) {
                    if (shape.dimension() > 1) {
                        steps += 2 * (shape.size() / shape.get(0) + 1);
                    }
                }
                for (int i = 0; i < 6; i++) {
                    for (int c = 0; c < classes; c++) {
                        assertThat((double) both[i * 2 * classes + half + c]).as("%s sample %d class %d", model == a ? "A" : "B", i, c)
                                .isCloseTo(own[i * classes + c], offset(steps * U * bound[i * classes + c]));
                    }
                }
            }
        }
    }

    private static Classifier absolute(NDManager m, ClassifierSpec spec, Classifier model) {
        Parameters abs = new Parameters(m);
        model.parameters().asMap().forEach((name, p) -> abs.put(name, p.abs()));
        return new Classifier(spec, abs);
    }

    @Test
    void rejectsMismatchedInputs() {
        ClassifierSpec spec = ClassifierSpec.mlp(4, List.of(3), 2);
        try (NDManager m = manager.newSubManager();
                Classifier a = Classifier.initialize(m, spec, 1);
                Classifier b = Classifier.initialize(m, spec, 2);
                Classifier wider = Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(5), 2), 3)) {
            InterpolationPair pair = a.interpolationWith(b);
            assertThat(a.interpolationWith(b)).as("cached per pair of classifiers").isSameAs(pair);
            NDArray x = m.randomNormal(new Shape(3, 4));
            assertThatThrownBy(() -> pair.perSampleLogits(x, new double[] {0.5, 0.5})).isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("2 per-sample weights for a batch of 3");
            assertThatThrownBy(() -> pair.mergedLogits(x, Double.NaN)).isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("finite");
            assertThatThrownBy(() -> new InterpolationPair(m, a, wider)).isInstanceOf(InvalidModelException.class);
        }
    }
}
