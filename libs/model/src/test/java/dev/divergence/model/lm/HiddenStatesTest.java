package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunked losses: the final hidden states followed by the LM head on slices reproduce the full
 * forward pass (logits and gradients), for tied and untied heads, with a padded batch row.
 */
class HiddenStatesTest {

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    private static LlamaConfig config(boolean tied) {
        return LlamaConfig.llama(97, 32, 48, 2, 4, 2, 64).withTiedEmbeddings(tied);
    }

    private static NDArray[] paddedBatch(NDManager m, int vocab) {
        int batch = 2;
        int seq = 7;
        SplittableRandom random = new SplittableRandom(5);
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(vocab);
            mask[i] = i == seq || i == seq + 1 ? 0 : 1; // second row left-padded by two tokens
        }
        return new NDArray[] {m.create(ids, new Shape(batch, seq)), m.create(mask, new Shape(batch, seq))};
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void forwardEqualsTheHeadAppliedToHiddenStatesAndSlices(boolean tied) {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, config(tied), 3)) {
            NDArray[] data = paddedBatch(m, model.config().vocabSize());
            NDArray logits = model.forward(data[0], data[1]);
            NDArray hidden = model.hiddenStates(data[0], data[1]);
            assertThat(hidden.getShape()).isEqualTo(new Shape(2, 7, model.config().hiddenSize()));

            // The same LM head on the same hidden states, only another batch shape (so possibly another
            // blocking of the matmul): each logit is one float32 dot product of length hidden, within
            // hidden * u * sum_k |h_k W_vk| of exact (u = 2^-24), two evaluations within hidden * eps *
            // that sum (eps = 2^-23), the sum bounded by the largest entry of |h| |W|^T.
            NDArray head = model.parameters().get(tied ? "model.embed_tokens.weight" : "lm_head.weight");
            float scale = hidden.abs().matMul(head.abs().transpose()).max().getFloat();
            float headTolerance = (float) (model.config().hiddenSize() * TestSupport.FLOAT32_EPS * scale);
            assertClose(model.lmHead(hidden).toFloatArray(), logits.toFloatArray(), headTolerance);
            // a [B, t, hidden] time slice and a flattened [N, hidden] slice of rows
            NDArray timeSlice = model.lmHead(hidden.get(new NDIndex(":, 2:5, :")));
            assertClose(timeSlice.toFloatArray(), logits.get(new NDIndex(":, 2:5, :")).toFloatArray(), headTolerance);
            NDArray rows = hidden.reshape(-1, model.config().hiddenSize()).get(new NDIndex("3:11"));
            NDArray rowLogits = model.lmHead(rows);
            assertThat(rowLogits.getShape()).isEqualTo(new Shape(8, model.config().vocabSize()));
            assertClose(rowLogits.toFloatArray(),
                    logits.reshape(-1, model.config().vocabSize()).get(new NDIndex("3:11")).toFloatArray(), headTolerance);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsOfAChunkedLossMatchTheFullForward(boolean tied) {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, config(tied), 4)) {
            model.parameters().requireGradients();
            NDArray[] data = paddedBatch(m, model.config().vocabSize());
            NDArray targets = data[0].reshape(-1);

            Map<String, float[]> full = gradients(model, () -> {
                NDArray logits = model.forward(data[0], data[1]).reshape(-1, model.config().vocabSize());
                return logits.logSoftmax(-1).mul(targets.oneHot(model.config().vocabSize())).sum().neg();
            });
            Map<String, float[]> chunked = gradients(model, () -> {
                NDArray hidden = model.hiddenStates(data[0], data[1]).reshape(-1, model.config().hiddenSize());
                NDArray total = null;
                for (int start = 0; start < 14; start += 5) {
                    String rows = start + ":" + Math.min(start + 5, 14);
                    NDArray logits = model.lmHead(hidden.get(new NDIndex(rows)));
                    NDArray part = logits.logSoftmax(-1)
                            .mul(targets.get(new NDIndex(rows)).oneHot(model.config().vocabSize())).sum().neg();
                    total = total == null ? part : total.add(part);
                }
                return total;
            });
            assertThat(chunked.keySet()).isEqualTo(full.keySet());
            full.forEach((name, grad) -> {
                assertThat(grad).as("gradient of %s is non-zero", name).isNotEqualTo(new float[grad.length]);
                // the backward pass runs the forward path's reductions transposed (the same lengths,
                // TestSupport.forwardTolerance) plus the sum over the 14 rows, which the chunked loss
                // adds in another order; both relative to the gradient's largest entry
                double largest = 0;
                for (float g : grad) {
                    largest = Math.max(largest, Math.abs(g));
                }
                float tolerance = (float) (TestSupport.forwardTolerance(model.config(), 7, grad) + 14 * TestSupport.FLOAT32_EPS * largest);
                assertClose(chunked.get(name), grad, tolerance);
            });
        }
    }

    @org.junit.jupiter.api.Test
    void theHeadRejectsAWrongHiddenSize() {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, config(false), 3)) {
            assertThatThrownBy(() -> model.lmHead(m.zeros(new Shape(3, 31))))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("hidden_states");
        }
    }

    private static Map<String, float[]> gradients(LlamaModel model, java.util.function.Supplier<NDArray> loss) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            collector.backward(loss.get());
        }
        for (Map.Entry<String, NDArray> e : model.parameters().asMap().entrySet()) {
            try (NDArray grad = e.getValue().getGradient()) {
                out.put(e.getKey(), grad.toFloatArray());
                grad.subi(grad);
            }
        }
        return out;
    }

    private static void assertClose(float[] actual, float[] expected, float tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance));
        }
    }
}
