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
        // float64 schedules: a few operations on values <= 1 err by a few ulps (~1e-16); 1e-12 leaves room
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
            // The two ways differ only in summation order. Positions: bos + 4 characters.
            // * loss: a mean of log-softmax values, each moved by at most twice the largest logit
            //   difference (TestSupport.forwardTolerance), plus the mean over the counted tokens (at most 2 * positions);
            // * gradients: the backward pass has the forward path's reduction lengths plus the sum
            //   over the batch's tokens, relative to the largest gradient, which the norm bounds; the
            //   norm of the differences is at most sqrt(parameters) times the largest;
            // * the global norm: each tensor's float32 sum of squares of n elements errs by n u
            //   relative (half of it in the norm), n at most the largest tensor, plus the gradients' own
            //   differences; u = 2^-24, eps = 2u covers both sides.
            int positions = 5;
            long largestTensor = big.parameters().asMap().values().stream().mapToLong(NDArray::size).max().orElseThrow();
            long parameterCount = big.parameters().asMap().values().stream().mapToLong(NDArray::size).sum();
            double gradientSteps = 0;
            for (int step = 0; step < 3; step++) {
                float[] logits = big.forward(both[0], both[1]).toFloatArray();
                ParameterTrainer.StepResult w = whole.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(big, both[0], both[1]));
                assertThat(accumulated.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(small, a[0], a[1]))).isNull();
                ParameterTrainer.StepResult s = accumulated.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(small, b[0], b[1]));
                double logitTolerance = TestSupport.forwardTolerance(TINY, positions, logits);
                assertThat(s.loss()).isCloseTo(w.loss(), offset(2 * logitTolerance + 2 * positions * TestSupport.FLOAT32_EPS * w.loss()));
                long backward = TestSupport.forwardTolerancePathLength(TINY, positions) + 2 * positions;
                double gradientTolerance = backward * TestSupport.FLOAT32_EPS * w.gradNorm();
                assertThat(s.gradNorm()).isCloseTo(w.gradNorm(),
                        offset(largestTensor * TestSupport.FLOAT32_EPS * w.gradNorm() + Math.sqrt(parameterCount) * gradientTolerance));
                gradientSteps += 0.5 * gradientTolerance; // SGD, learning rate 0.5
            }
            // the parameters after three SGD steps: the sum of each step's gradient difference times the rate
            double parameterTolerance = gradientSteps;
            big.parameters().asMap().forEach((name, p) -> {
                float[] x = p.toFloatArray();
                float[] y = small.parameters().get(name).toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    assertThat((double) y[i]).as(name).isCloseTo(x[i], offset(parameterTolerance + TestSupport.FLOAT32_EPS * Math.abs(x[i])));
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
            // the same float32 norms of the same gradients, summed in the same order
            assertThat(reported).isEqualTo(before);
            // scaled by 0.01 / (norm + 1e-6), each gradient rounded once after the multiplication (u) by
            // a factor itself rounded to float32 (u), then the norm recomputed (n u relative for a
            // tensor of n elements, the largest one bounding it): u = 2^-24
            long largestTensor = model.parameters().asMap().values().stream().mapToLong(NDArray::size).max().orElseThrow();
            double clipped = 0.01 * before / (before + 1e-6);
            assertThat(GradientClipping.globalNorm(model.parameters()))
                    .isCloseTo(clipped, offset(clipped * (largestTensor + 2) * 0x1p-24));
        }
    }
}
