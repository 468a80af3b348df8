package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.TestSupport;
import dev.divergence.model.generation.DecodingSession;
import org.junit.jupiter.api.Test;

/** Mistral's sliding window: a one-layer model at position t sees only tokens t-w+1 .. t. */
class SlidingWindowTest {

    private static final String MISTRAL = """
            {"model_type":"mistral","vocab_size":30,"hidden_size":16,"intermediate_size":32,
             "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,
             "max_position_embeddings":32,"sliding_window":3,"tie_word_embeddings":false}""";

    @Test
    void tokensOutsideTheWindowDoNotMatterAndTheCacheAgrees() {
        LlamaConfig config = LlamaConfig.parse(MISTRAL);
        assertThat(config.slidingWindow()).isEqualTo(3);
        try (NDManager m = TestSupport.newManager(); LlamaModel model = LlamaModel.initialize(m, config, 4)) {
            model.parameters().asMap().forEach((name, a) -> {
                if (!name.endsWith("norm.weight")) {
                    a.muli(20);
                }
            });
            long[] a = {5, 6, 7, 8, 9, 10};
            long[] b = {25, 6, 7, 8, 9, 10}; // differs only at position 0
            float[] la = model.forward(m.create(a, new Shape(1, 6)), null).toFloatArray();
            float[] lb = model.forward(m.create(b, new Shape(1, 6)), null).toFloatArray();
            int v = config.vocabSize();
            // what summation order alone can change (TestSupport.forwardTolerance); a token inside the
            // window must move the logits far beyond it, one outside must not move them past it
            double tolerance = TestSupport.forwardTolerance(config, 6, la);
            for (int t = 0; t < 6; t++) {
                double diff = 0;
                for (int i = 0; i < v; i++) {
                    diff = Math.max(diff, Math.abs(la[t * v + i] - lb[t * v + i]));
                }
                if (t < 3) {
                    assertThat(diff).as("position %d sees position 0", t).isGreaterThan(100 * tolerance);
                } else {
                    assertThat(diff).as("position %d is outside the window of position 0", t).isLessThanOrEqualTo(tolerance);
                }
            }
            try (DecodingSession session = new DecodingSession(model, m)) {
                float[] step = session.prefill(new long[] {5, 6});
                for (int t = 2; t < 6; t++) {
                    step = session.step(a[t]);
                    for (int i = 0; i < v; i++) {
                        assertThat((double) step[i]).as("cached step at %d", t).isCloseTo(la[t * v + i], offset(tolerance));
                    }
                }
            }
        }
    }
}
