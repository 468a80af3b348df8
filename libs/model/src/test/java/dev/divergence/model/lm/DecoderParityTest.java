package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.TestSupport;
import dev.divergence.model.io.Checkpoints;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity with an independent PyTorch implementation (src/test/python/make_golden.py): logits and
 * continuation log-probs of small random Llama (GQA, untied) and Qwen2 (biases, tied) configs
 * with a left-padded batch row agree on every real position within the summation-order bound of
 * {@link TestSupport#forwardTolerance} (log-probs within twice it: log-softmax moves by at most
 * twice the largest logit change).
 */
class DecoderParityTest {

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa_untied", "qwen2_tied_bias"})
    void logitsAndLogProbsMatchPyTorch(String name) {
        Path dir = TestSupport.resource("golden/" + name);
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, dir)) {
            Map<String, NDArray> golden = Checkpoints.load(m, dir.resolve("golden.safetensors"));
            NDArray ids = golden.get("input_ids");
            NDArray mask = golden.get("attention_mask");
            long[] maskFlat = mask.toLongArray();
            int batch = (int) ids.getShape().get(0);
            int seq = (int) ids.getShape().get(1);
            int vocab = model.config().vocabSize();

            float[] ours = model.forward(ids, mask).toFloatArray();
            float[] theirs = golden.get("logits").toFloatArray();
            double tolerance = TestSupport.forwardTolerance(model.config(), seq, theirs);
            int compared = 0;
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < seq; t++) {
                    if (maskFlat[b * seq + t] == 0) {
                        continue;
                    }
                    for (int v = 0; v < vocab; v++) {
                        int i = (b * seq + t) * vocab + v;
                        assertThat((double) ours[i]).as("logit b=%d t=%d v=%d", b, t, v).isCloseTo(theirs[i], org.assertj.core.data.Offset.offset(tolerance));
                        compared++;
                    }
                }
            }
            assertThat(compared).isEqualTo((batch * seq - 2) * vocab);

            float[] lp = LogProbs.tokenLogProbs(model, ids, mask).toFloatArray();
            float[] goldenLp = golden.get("token_logprobs").toFloatArray();
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < seq - 1; t++) {
                    if (maskFlat[b * seq + t] != 0 && maskFlat[b * seq + t + 1] != 0) {
                        assertThat((double) lp[b * (seq - 1) + t]).as("log-prob b=%d t=%d", b, t)
                                .isCloseTo(goldenLp[b * (seq - 1) + t], org.assertj.core.data.Offset.offset(2 * tolerance));
                    }
                }
            }
        }
    }
}
