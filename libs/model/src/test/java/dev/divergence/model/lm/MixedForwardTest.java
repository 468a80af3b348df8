package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.TestSupport;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact per-sample merging of two decoders: {@link LlamaModel#forwardMixed} equals, row by row,
 * a forward of that row alone through a decoder built from the materialised merged weights
 * lambda_i * A + (1 - lambda_i) * B.
 */
class MixedForwardTest {

    /*
     * Tolerance, from the computation. Both sides compute the same function and differ only in
     * float32 rounding (u = 2^-24 ~ 6e-8): the reference rounds each merged weight once, the mixed
     * pass rounds the two op outputs and their mix, and the products are summed in different orders.
     * The logits come out of the last product, the head: hidden (RMS-normalised, |h| <= ~3 per entry
     * at 3 sigma) times an embedding row of n = 32 weights ~N(0, 0.02^2) (|w| <= 0.06), so
     * sum|terms| <= 32 * 3 * 0.06 ~ 6 and the worst-case summation gap is n u sum|terms|
     * ~ 32 * 6e-8 * 6 ~ 1.1e-5 if every rounding had the same sign, ~ sqrt(n) u sum|terms| ~ 2e-6
     * typically. Errors from earlier layers reach the logits scaled down by the head (a row of
     * 0.02-sized weights), and RMSNorm removes their scale. The 1e-5 sits inside that range
     * (seen here: ~1e-7).
     */
    private static final double TOLERANCE = 1e-5;

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
        return LlamaConfig.llama(97, 32, 64, 2, 4, 2, 64).withTiedEmbeddings(tied);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mixedForwardEqualsMaterialisedPerRowMerges(boolean tied) {
        long seed = 20261206L + (tied ? 1 : 0);
        System.out.println("MixedForwardTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        int batch = 4;
        int seq = 6;
        try (NDManager m = manager.newSubManager();
             LlamaModel a = LlamaModel.initialize(m, config(tied), seed);
             LlamaModel b = LlamaModel.initialize(m, config(tied), seed + 100)) {
            long[] ids = new long[batch * seq];
            long[] mask = new long[batch * seq];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(97);
                mask[i] = 1;
            }
            mask[2 * seq] = 0; // row 2 left-padded by two tokens
            mask[2 * seq + 1] = 0;
            // the extremes, and two draws inside (0, 1)
            float[] lambda = {0f, 1f, (float) random.nextDouble(), (float) random.nextDouble()};
            NDArray mixed = a.forwardMixed(b, m.create(lambda), m.create(ids, new Shape(batch, seq)), m.create(mask, new Shape(batch, seq)));
            float[] got = mixed.toFloatArray();
            int vocab = 97;
            double worst = 0;
            for (int row = 0; row < batch; row++) {
                long[] rowIds = java.util.Arrays.copyOfRange(ids, row * seq, (row + 1) * seq);
                long[] rowMask = java.util.Arrays.copyOfRange(mask, row * seq, (row + 1) * seq);
                try (NDManager r = m.newSubManager()) {
                    Parameters merged = ParameterMerging.weightedSum(r, List.of(a.parameters(), b.parameters()),
                            new double[] {lambda[row], 1.0 - lambda[row]});
                    LlamaModel reference = new LlamaModel(config(tied), merged);
                    float[] want = reference.forward(r.create(rowIds, new Shape(1, seq)), r.create(rowMask, new Shape(1, seq))).toFloatArray();
                    for (int t = 0; t < seq; t++) {
                        if (rowMask[t] == 0) {
                            continue; // outputs at padded positions are meaningless
                        }
                        for (int v = 0; v < vocab; v++) {
                            double gap = Math.abs(got[(row * seq + t) * vocab + v] - want[t * vocab + v]);
                            worst = Math.max(worst, gap);
                            assertThat(gap).as("row %d (lambda %s) position %d token %d", row, lambda[row], t, v).isLessThanOrEqualTo(TOLERANCE);
                        }
                    }
                }
            }
            System.out.println("MixedForwardTest tied=" + tied + " worst gap " + worst);
        }
    }

    @Test
    void theMixMovesTheLogitsBetweenTheTwoModels() {
        // guards against a mix that ignores lambda: the two models must give different logits, and
        // lambda 1 / 0 must reproduce each model's own plain forward
        try (NDManager m = manager.newSubManager();
             LlamaModel a = LlamaModel.initialize(m, config(false), 1);
             LlamaModel b = LlamaModel.initialize(m, config(false), 2)) {
            NDArray ids = m.create(new long[] {5, 9, 11, 3, 5, 9, 11, 3}, new Shape(2, 4));
            NDArray mask = m.ones(new Shape(2, 4)).toType(ai.djl.ndarray.types.DataType.INT64, false);
            float[] mixed = a.forwardMixed(b, m.create(new float[] {1f, 0f}), ids, mask).toFloatArray();
            float[] fromA = a.forward(ids, mask).toFloatArray();
            float[] fromB = b.forward(ids, mask).toFloatArray();
            int half = mixed.length / 2;
            double differ = 0;
            for (int i = 0; i < half; i++) {
                // lambda exactly 1 / 0: fromB + 1 * (fromA - fromB) is fromA up to one rounding of each op's mix
                assertThat((double) Math.abs(mixed[i] - fromA[i])).isLessThanOrEqualTo(TOLERANCE);
                assertThat((double) Math.abs(mixed[half + i] - fromB[half + i])).isLessThanOrEqualTo(TOLERANCE);
                differ = Math.max(differ, Math.abs(fromA[i] - fromB[i]));
            }
            assertThat(differ).isGreaterThan(100 * TOLERANCE);
        }
    }

    @Test
    void rejectsAnotherConfigurationAndAWrongLambdaShape() {
        try (NDManager m = manager.newSubManager();
             LlamaModel a = LlamaModel.initialize(m, config(false), 1);
             LlamaModel tied = LlamaModel.initialize(m, config(true), 2);
             LlamaModel b = LlamaModel.initialize(m, config(false), 3)) {
            NDArray ids = m.create(new long[] {5, 9}, new Shape(1, 2));
            NDArray mask = m.create(new long[] {1, 1}, new Shape(1, 2));
            assertThatThrownBy(() -> a.forwardMixed(tied, m.create(new float[] {0.5f}), ids, mask))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("configurations differ");
            assertThatThrownBy(() -> a.forwardMixed(b, m.create(new float[] {0.5f, 0.5f}), ids, mask))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("lambda");
        }
    }
}
