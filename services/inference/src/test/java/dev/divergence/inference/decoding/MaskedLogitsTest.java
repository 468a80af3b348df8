package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.model.generation.GenerationConfig;
import org.junit.jupiter.api.Test;

/**
 * Masked tokens (logit -inf: a backend's padded vocabulary rows, a forbidden token) in the two
 * streams of CAD and AdaCAD. Expected values are hand transcriptions of the formulas in float64.
 */
class MaskedLogitsTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;
    /** Token 1 is masked without the context, token 2 with it, token 4 in both streams. */
    private static final float[] WITH_CONTEXT = {2f, 1f, NEG_INF, 0f, NEG_INF};
    private static final float[] WITHOUT_CONTEXT = {1f, NEG_INF, 0.5f, 0f, NEG_INF};

    @Test
    void cadKeepsATokenMaskedInEitherStreamMaskedAndCombinesTheOthers() {
        StepScores step = ContextContrast.cad(0.5).combine(new float[][] {WITH_CONTEXT, WITHOUT_CONTEXT});

        // (1 + a) z_c - a z with a = 0.5: 1.5 * 2 - 0.5 * 1 = 2.5 and 1.5 * 0 - 0.5 * 0 = 0 (exact in float32)
        assertThat(step.scores()).containsExactly(2.5f, NEG_INF, NEG_INF, 0f, NEG_INF);
        TokenSampler.Pick pick = new TokenSampler(GenerationConfig.greedy(1)).pick(step.scores());
        assertThat(pick.token()).isZero();
        // softmax over the two unmasked scores: log(e^2.5 / (e^2.5 + 1)) = -log(1 + e^-2.5)
        assertThat(pick.logProb()).isCloseTo(-Math.log1p(Math.exp(-2.5)), within(1e-12));
        assertThat(pick.entropy()).isFinite();
    }

    @Test
    void adaCadWeightIsTheJensenShannonDivergenceOverTheUnmaskedSupport() {
        StepScores step = ContextContrast.adaCad(0).combine(new float[][] {WITH_CONTEXT, WITHOUT_CONTEXT});

        // P_c = softmax(2, 1, -, 0, -) and P = softmax(1, -, 0.5, 0, -); JSD = H((P_c + P) / 2) - (H(P_c) + H(P)) / 2
        // with 0 log 0 = 0, so the token masked in both streams adds nothing
        double zc = Math.exp(2) + Math.exp(1) + 1;
        double[] pc = {Math.exp(2) / zc, Math.exp(1) / zc, 0, 1 / zc};
        double z = Math.exp(1) + Math.exp(0.5) + 1;
        double[] p = {Math.exp(1) / z, 0, Math.exp(0.5) / z, 1 / z};
        double[] m = new double[4];
        for (int i = 0; i < 4; i++) {
            m[i] = (pc[i] + p[i]) / 2;
        }
        double expected = entropy(m) - (entropy(pc) + entropy(p)) / 2;
        // both sides are float64 sums of 4 terms of size <= ln(2)/2; 1e-12 leaves orders of magnitude to round-off
        assertThat(step.alpha()).isCloseTo(expected, within(1e-12));
        assertThat(expected).isBetween(0.05, Math.log(2));
        // (1 + a) 2 - a 1 = 2 + a, rounded to float32 once: a's 1e-12 uncertainty can move it by at most one ulp
        assertThat(step.scores()[0]).isCloseTo((float) (2 + expected), within(Math.ulp(3f)));
        assertThat(step.scores()[1]).isEqualTo(NEG_INF);
        assertThat(step.scores()[2]).isEqualTo(NEG_INF);
        assertThat(step.scores()[3]).isZero();
        assertThat(step.scores()[4]).isEqualTo(NEG_INF);
    }

    @Test
    void adaCadWeightIsZeroWhenBothStreamsMaskTheSameTokensAndAgreeElsewhere() {
        float[] logits = {0.3f, NEG_INF, -1.2f, NEG_INF};

        StepScores step = ContextContrast.adaCad(0).combine(new float[][] {logits, logits.clone()});

        assertThat(step.alpha()).isZero();
        assertThat(step.scores()).containsExactly(logits);
    }

    @Test
    void aStepWhoseUnmaskedTokensDifferBetweenTheStreamsSaysSoInsteadOfFailingOnNaN() {
        // every token is masked in one stream or the other: nothing can be chosen, and the error says why
        float[] withContext = {0f, NEG_INF};
        float[] without = {NEG_INF, 0f};
        StepScores step = ContextContrast.cad(0.5).combine(new float[][] {withContext, without});

        assertThat(step.scores()).containsExactly(NEG_INF, NEG_INF);
        assertThatThrownBy(() -> new TokenSampler(GenerationConfig.greedy(1)).pick(step.scores()))
                .hasMessageContaining("every token was forbidden");
    }

    @Test
    void nanScoresAreReportedAsNaNNotAsForbiddenTokens() {
        assertThatThrownBy(() -> new TokenSampler(GenerationConfig.greedy(1)).pick(new float[] {0f, Float.NaN, 1f}))
                .hasMessageContaining("NaN")
                .hasMessageContaining("token 1")
                .hasMessageNotContaining("forbidden");
    }

    private static double entropy(double[] p) {
        double h = 0;
        for (double v : p) {
            if (v > 0) {
                h -= v * Math.log(v);
            }
        }
        return h;
    }
}
