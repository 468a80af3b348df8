package dev.divergence.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import dev.divergence.model.lm.LanguageModelLoss;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TrainingUtilitiesTest {

    private static NDManager manager;
    private static final LlamaConfig TINY = LlamaConfig.llama(ByteTokenizer.VOCAB_SIZE, 32, 64, 2, 4, 2, 64);

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void schedulesWarmUpThenFollowTheirShape() {
        LearningRateSchedule cosine = LearningRateSchedule.cosine(1.0, 4, 14, 0.1);
        assertThat(cosine.rateAt(0)).isCloseTo(0.2, offset(1e-12));
        assertThat(cosine.rateAt(3)).isCloseTo(0.8, offset(1e-12));
        assertThat(cosine.rateAt(4)).isCloseTo(1.0, offset(1e-12));
        assertThat(cosine.rateAt(9)).isCloseTo(0.55, offset(1e-12));
        assertThat(cosine.rateAt(14)).isCloseTo(0.1, offset(1e-12));
        assertThat(cosine.rateAt(100)).isCloseTo(0.1, offset(1e-12));
        LearningRateSchedule linear = LearningRateSchedule.linear(2.0, 0, 10);
        assertThat(linear.rateAt(5)).isCloseTo(1.0, offset(1e-12));
        assertThat(linear.rateAt(10)).isZero();
        assertThat(LearningRateSchedule.constant(0.3, 0).rateAt(1000)).isEqualTo(0.3);
        assertThatThrownBy(() -> LearningRateSchedule.cosine(1, 10, 5, 0)).isInstanceOf(InvalidModelException.class).hasMessageContaining("total_steps");
        assertThatThrownBy(() -> LearningRateSchedule.constant(-1, 0)).hasMessageContaining("learning_rate");
    }

    private static NDArray[] batch(NDManager m, String... texts) {
        ByteTokenizer tok = new ByteTokenizer();
        int seq = 0;
        for (String t : texts) {
            seq = Math.max(seq, tok.encodeWithBos(t).length);
        }
        long[] ids = new long[texts.length * seq];
        long[] mask = new long[texts.length * seq];
        for (int b = 0; b < texts.length; b++) {
            long[] row = tok.encodeWithBos(texts[b]);
            for (int t = 0; t < seq; t++) {
                ids[b * seq + t] = t < row.length ? row[t] : ByteTokenizer.PAD;
                mask[b * seq + t] = t < row.length ? 1 : 0;
            }
        }
        return new NDArray[] {m.create(ids, new Shape(texts.length, seq)), m.create(mask, new Shape(texts.length, seq))};
    }

    @Test
    void adamWLearnsATinyCorpusAndRepeatsExactlyWithTheSameSeed() {
        float[] first = train(11);
        float[] second = train(11);
        assertThat(second).containsExactly(first);
    }

    private float[] train(long seed) {
        Seeds.seedEverything(seed);
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, TINY, seed)) {
            NDArray[] data = batch(m, "12+7=19", "3+4=7", "hello world");
            ParameterTrainer trainer = new ParameterTrainer(model.parameters(),
                    OptimizerSpec.adamW(LearningRateSchedule.cosine(1e-2, 5, 80, 1e-3), 0.01), 1, 1.0);
            double firstLoss = 0;
            double lastLoss = 0;
            for (int i = 0; i < 80; i++) {
                ParameterTrainer.StepResult r = trainer.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(model, data[0], data[1]));
                if (i == 0) {
                    firstLoss = r.loss();
                }
                lastLoss = r.loss();
            }
            assertThat(firstLoss).isGreaterThan(5.0);
            assertThat(lastLoss).isLessThan(0.5);
            return model.parameters().get("model.layers.1.mlp.down_proj.weight").toFloatArray();
        }
    }

    @Test
    void accumulatedMicroBatchesEqualOneLargeBatch() {
        OptimizerSpec sgd = OptimizerSpec.sgd(LearningRateSchedule.constant(0.5, 0), 0, 0);
        try (NDManager m = manager.newSubManager();
                LlamaModel big = LlamaModel.initialize(m, TINY, 3);
                LlamaModel small = LlamaModel.initialize(m, TINY, 3)) {
            NDArray[] both = batch(m, "abcd", "wxyz");
            NDArray[] a = batch(m, "abcd");
            NDArray[] b = batch(m, "wxyz");
            ParameterTrainer whole = new ParameterTrainer(big.parameters(), sgd, 1, 0);
            ParameterTrainer accumulated = new ParameterTrainer(small.parameters(), sgd, 2, 0);
            for (int step = 0; step < 3; step++) {
                ParameterTrainer.StepResult w = whole.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(big, both[0], both[1]));
                assertThat(accumulated.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(small, a[0], a[1]))).isNull();
                ParameterTrainer.StepResult s = accumulated.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(small, b[0], b[1]));
                assertThat(s.loss()).isCloseTo(w.loss(), offset(1e-5));
                assertThat(s.gradNorm()).isCloseTo(w.gradNorm(), offset(1e-5));
            }
            big.parameters().asMap().forEach((name, p) -> {
                float[] x = p.toFloatArray();
                float[] y = small.parameters().get(name).toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    assertThat(y[i]).as(name).isCloseTo(x[i], offset(1e-5f));
                }
            });
        }
    }

    @Test
    void clippingBoundsTheGlobalNorm() {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, TINY, 5)) {
            NDArray[] data = batch(m, "clip me");
            OptimizerSpec sgd = OptimizerSpec.sgd(LearningRateSchedule.constant(1e-9, 0), 0, 0);
            // accumulate 2 so the gradients are still there to inspect after the first micro-batch
            ParameterTrainer trainer = new ParameterTrainer(model.parameters(), sgd, 2, 0);
            trainer.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(model, data[0], data[1]));
            double before = GradientClipping.globalNorm(model.parameters());
            assertThat(before).isGreaterThan(0.05);
            double reported = GradientClipping.clipByGlobalNorm(model.parameters(), 0.01);
            assertThat(reported).isCloseTo(before, offset(1e-9));
            assertThat(GradientClipping.globalNorm(model.parameters())).isCloseTo(0.01, offset(1e-4));
        }
    }
}
