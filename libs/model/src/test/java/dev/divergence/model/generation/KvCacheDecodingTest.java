package dev.divergence.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.TestSupport;
import dev.divergence.model.lm.KvCache;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KV-cache decoding must give the same tokens and logits as recomputing the whole sequence. */
class KvCacheDecodingTest {

    private static NDManager manager;
    private static LlamaModel model;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
        // larger init than the default so greedy decoding is not a constant sequence
        LlamaConfig config = LlamaConfig.llama(40, 32, 48, 2, 4, 2, 64);
        model = LlamaModel.initialize(manager, config, 7);
        model.parameters().asMap().forEach((name, a) -> {
            if (!name.endsWith("norm.weight")) {
                a.muli(15);
            }
        });
    }

    @AfterAll
    static void stop() {
        model.close();
        manager.close();
    }

    private float[] fullLastLogits(long[] tokens) {
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = model.forward(m.create(tokens, new Shape(1, tokens.length)), null);
            return logits.get(0, tokens.length - 1).toFloatArray();
        }
    }

    @Test
    void incrementalLogitsAndGreedyTokensEqualFullRecomputation() {
        long[] prompt = {3, 17, 5, 9};
        long[] sequence = prompt.clone();
        try (DecodingSession session = new DecodingSession(model, manager)) {
            float[] cached = session.prefill(prompt);
            for (int step = 0; step < 12; step++) {
                float[] full = fullLastLogits(sequence);
                double tolerance = TestSupport.forwardTolerance(model.config(), sequence.length, full);
                for (int v = 0; v < full.length; v++) {
                    assertThat((double) cached[v]).as("step %d token %d", step, v).isCloseTo(full[v], offset(tolerance));
                }
                long next = Sampler.argmax(full);
                assertThat((long) Sampler.argmax(cached)).isEqualTo(next);
                sequence = Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = next;
                cached = session.step(next);
            }
        }
        GenerationResult generated = new Generator(model).generate(manager, prompt, GenerationConfig.greedy(12));
        assertThat(generated.tokens()).containsExactly(Arrays.copyOfRange(sequence, prompt.length, sequence.length));
        assertThat(new java.util.HashSet<>(Arrays.stream(generated.tokens()).boxed().toList())).hasSizeGreaterThan(1);
    }

    @Test
    void leftPaddedBatchCacheMatchesEachSequenceAlone() {
        long[] a = {4, 8, 15, 16, 23};
        long[] b = {0, 0, 42 % 40, 7, 1};
        long[] mask = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1};
        try (NDManager m = manager.newSubManager(); KvCache cache = new KvCache(m, model.config().numLayers(), 2)) {
            NDArray ids = m.create(new long[] {4, 8, 15, 16, 23, 0, 0, 2, 7, 1}, new Shape(2, 5));
            NDArray logits = model.forward(ids, m.create(mask, new Shape(2, 5)), cache);
            assertClose(logits.get(0, 4).toFloatArray(), fullLastLogits(a));
            assertClose(logits.get(1, 4).toFloatArray(), fullLastLogits(new long[] {2, 7, 1}));
            NDArray next = model.forward(m.create(new long[] {11, 12}, new Shape(2, 1)), null, cache);
            assertClose(next.get(0, 0).toFloatArray(), fullLastLogits(new long[] {4, 8, 15, 16, 23, 11}));
            assertClose(next.get(1, 0).toFloatArray(), fullLastLogits(new long[] {2, 7, 1, 12}));
            assertThat(b).hasSize(5);
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        // positions: the padded batch's 6 at most
        double tolerance = TestSupport.forwardTolerance(model.config(), 6, expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) actual[i]).as("logit %d", i).isCloseTo(expected[i], offset(tolerance));
        }
    }
}
