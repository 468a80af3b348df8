package dev.divergence.model.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.TestSupport;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The per-sample two-parameter-set forward equals materialising each sample's merged weights. */
class PerSampleMergeTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    static Stream<ClassifierSpec> specs() {
        return Stream.of(ClassifierSpec.mlp(30, List.of(16, 12), 2), ClassifierSpec.cnn(8, 1, 4, 6, 10));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void mixedForwardEqualsMaterialisedPerSampleWeights(ClassifierSpec spec) {
        try (NDManager m = manager.newSubManager();
                Classifier generalist = Classifier.initialize(m, spec, 1);
                Classifier expert = Classifier.initialize(m, spec, 2)) {
            int batch = 6;
            NDArray x = m.randomNormal(new Shape(batch, spec.inputDim()));
            float[] lambdas = {0f, 1f, 0.5f, 0.25f, 0.586f, 0.9f};
            NDArray lambda = m.create(lambdas);
            float[] mixed = generalist.logits(new PerSampleMixedWeights(generalist.parameters(), expert.parameters(), lambda), x)
                    .toFloatArray();
            for (int i = 0; i < batch; i++) {
                try (Parameters merged = ParameterMerging.interpolate(m, generalist.parameters(), expert.parameters(), lambdas[i]);
                        Parameters magnitudes = new Parameters(m)) {
                    NDArray sample = x.get(i + ":" + (i + 1));
                    float[] one = generalist.logits(new SingleWeights(merged), sample).toFloatArray();
                    // Running error bound: the two forwards differ in how the weights were mixed (a few
                    // float32 roundings of each weight, counted as 2 more accumulation steps per layer)
                    // and in summation order; every float32 sum of products of length n is within
                    // n * u * sum|terms| of exact, and the same network on |x| with |weights| (ReLU and
                    // max-pooling keep the bound) gives every layer's sum|terms|, the errors of earlier
                    // layers carried forward through |W|. So |delta| <= N * eps * forward(|x|, |W|) with N
                    // the sum of the fan-ins plus 2 per layer, eps = 2u covering both sides.
                    long accumulation = 0;
                    for (java.util.Map.Entry<String, NDArray> e : merged.asMap().entrySet()) {
                        magnitudes.put(e.getKey(), e.getValue().abs());
                        if (e.getValue().getShape().dimension() > 1) {
                            accumulation += e.getValue().size() / e.getValue().getShape().get(0) + 2;
                        }
                    }
                    float[] bound = generalist.logits(new SingleWeights(magnitudes), sample.abs()).toFloatArray();
                    for (int c = 0; c < spec.numClasses(); c++) {
                        assertThat((double) mixed[i * spec.numClasses() + c]).as("sample %d class %d", i, c)
                                .isCloseTo(one[c], offset(accumulation * TestSupport.FLOAT32_EPS * bound[c]));
                    }
                }
            }
        }
    }

    @Test
    void averagesAndTaskArithmeticAreElementwise() {
        ClassifierSpec spec = ClassifierSpec.mlp(4, List.of(3), 2);
        try (NDManager m = manager.newSubManager();
                Classifier base = Classifier.initialize(m, spec, 1);
                Classifier e1 = Classifier.initialize(m, spec, 2);
                Classifier e2 = Classifier.initialize(m, spec, 3)) {
            Parameters avg = ParameterMerging.weightedAverage(m, List.of(base.parameters(), e1.parameters()), new double[] {1, 3});
            Parameters ta = ParameterMerging.taskArithmetic(m, base.parameters(), List.of(e1.parameters(), e2.parameters()), new double[] {0.5, 0.3});
            float[] b = base.parameters().get("head.weight").toFloatArray();
            float[] x1 = e1.parameters().get("head.weight").toFloatArray();
            float[] x2 = e2.parameters().get("head.weight").toFloatArray();
            float[] a = avg.get("head.weight").toFloatArray();
            float[] t = ta.get("head.weight").toFloatArray();
            for (int i = 0; i < b.length; i++) {
                // each side is at most 6 float32 operations on terms no larger than |b| + |x1| + |x2|;
                // each rounding errs by u times that, so the two sides differ by at most 12 u = 6 eps of it
                double size = Math.abs(b[i]) + Math.abs(x1[i]) + Math.abs(x2[i]);
                assertThat((double) a[i]).isCloseTo(0.25f * b[i] + 0.75f * x1[i], offset(6 * TestSupport.FLOAT32_EPS * size));
                assertThat((double) t[i]).isCloseTo(b[i] + 0.5f * (x1[i] - b[i]) + 0.3f * (x2[i] - b[i]),
                        offset(6 * TestSupport.FLOAT32_EPS * size));
            }
            Classifier other = Classifier.initialize(m, ClassifierSpec.mlp(4, List.of(5), 2), 4);
            assertThatThrownBy(() -> ParameterMerging.interpolate(m, base.parameters(), other.parameters(), 0.5))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("layers.0.weight");
            assertThatThrownBy(() -> ParameterMerging.weightedAverage(m, List.of(base.parameters()), new double[] {0}))
                    .hasMessageContaining("weights");
        }
    }

    @Test
    void classifiersRoundTripThroughSafetensors() {
        ClassifierSpec spec = ClassifierSpec.cnn(8, 1, 4, 6, 10).withClassNames(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        try (NDManager m = manager.newSubManager(); Classifier c = Classifier.initialize(m, spec, 5)) {
            c.save(dir);
            try (Classifier back = Classifier.load(m, dir)) {
                assertThat(back.spec()).isEqualTo(spec);
                NDArray x = m.randomUniform(0, 16, new Shape(3, 64));
                assertThat(back.logits(x).toFloatArray()).containsExactly(c.logits(x).toFloatArray());
            }
            assertThatThrownBy(() -> c.logits(m.zeros(new Shape(2, 63)))).isInstanceOf(InvalidModelException.class).hasMessageContaining("features");
            assertThatThrownBy(() -> ClassifierSpec.parse("{\"model_type\":\"resnet\",\"input_dim\":3,\"num_classes\":2}"))
                    .hasMessageContaining("model_type");
        }
    }
}
