package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * USCD's selective rule on hand-made five-token distributions (logits = log P, so softmax gives P back).
 *
 * <p>Tolerances: the logits are log P rounded to float32 (each off by at most u |log p|, u = 2^-24),
 * so the strategy's float64 softmax recovers every probability within a relative 2 u L (L the
 * largest finite |log p| of that distribution: log-softmax moves by at most twice the largest logit
 * change); a score is then a float32 log, one more rounding of u |score|.
 */
class SelectiveContrastTest {

    private static final double U = 0x1p-24;

    /** std over the vocabulary = sqrt(mean((p - 0.2)^2)) = sqrt(0.01904) ~ 0.138. */
    private static final double[] STANDARD = {0.4, 0.3, 0.2, 0.06, 0.04};
    private static final double[] LAME = {0.6, 0.1, 0.1, 0.0, 0.2};

    @Test
    void peakedStandardDistributionIsUsedAsIs() {
        StepScores step = new SelectiveContrast(0.13, 0.5, 1.0, -0.7).combine(new float[][] {logits(STANDARD), logits(LAME)});

        assertThat(step.confident()).isTrue();
        for (int i = 0; i < STANDARD.length; i++) {
            assertThat((double) step.scores()[i]).isCloseTo(Math.log(STANDARD[i]), within(logTolerance(STANDARD, i)));
        }
    }

    @Test
    void flatStepDropsUnlikelyTokensAndContrastsTheRest() {
        StepScores step = new SelectiveContrast(0.14, 0.5, 1.0, -0.7).combine(new float[][] {logits(STANDARD), logits(LAME)});

        assertThat(step.confident()).isFalse();
        float[] s = step.scores();
        // token 0: 0.4 - 0.7 * 0.6 < 0 is an invalid mixture
        assertThat(s[0]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat((double) s[1]).isCloseTo(Math.log(0.3 - 0.7 * 0.1), within(mixtureTolerance(1, 0.7)));
        assertThat((double) s[2]).isCloseTo(Math.log(0.2 - 0.7 * 0.1), within(mixtureTolerance(2, 0.7)));
        // token 3: a positive mixture (0.06) but P_std < mean * fraction = 0.1, so dropped
        assertThat(s[3]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(s[4]).isEqualTo(Float.NEGATIVE_INFINITY);
        // the contrast moves the choice away from what the lame prompt also likes
        assertThat(argmax(s)).isEqualTo(1);
        assertThat(argmax(logits(STANDARD))).isEqualTo(0);
    }

    @Test
    void fractionDecidesWhichTokensSurvive() {
        StepScores step = new SelectiveContrast(1.0, 0.25, 1.0, -0.7).combine(new float[][] {logits(STANDARD), logits(LAME)});

        // cut = 0.2 * 0.25 = 0.05: token 3 (0.06) survives with mixture 0.06, token 4 (0.04) does not
        assertThat((double) step.scores()[3]).isCloseTo(Math.log(0.06), within(mixtureTolerance(3, 0.7)));
        assertThat(step.scores()[4]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void whenTheLamePromptOutweighsEveryTokenTheStandardDistributionIsKept() {
        double[] lame = {0.4, 0.3, 0.2, 0.06, 0.04};
        StepScores step = new SelectiveContrast(1.0, 0.5, 1.0, -1.5).combine(new float[][] {logits(STANDARD), logits(lame)});

        assertThat(step.confident()).isFalse();
        assertThat((double) step.scores()[0]).isCloseTo(Math.log(0.4), within(logTolerance(STANDARD, 0)));
    }

    /** log p_i of a softmax of float32 log P: 2 u L from the logits, u |log p_i| from the final rounding. */
    private static double logTolerance(double[] p, int i) {
        return 2 * U * largestLog(p) + U * Math.abs(Math.log(p[i]));
    }

    /**
     * log(p_i - w q_i) for STANDARD and LAME: each probability within a relative 2 u L of its
     * distribution, so the mixture within 2 u (L_p p_i + w L_q q_i), divided by the mixture for the
     * log, plus the final rounding.
     */
    private static double mixtureTolerance(int i, double lameWeight) {
        double mixture = STANDARD[i] - lameWeight * LAME[i];
        double error = 2 * U * (largestLog(STANDARD) * STANDARD[i] + lameWeight * largestLog(LAME) * LAME[i]);
        return error / mixture + U * Math.abs(Math.log(mixture));
    }

    private static double largestLog(double[] p) {
        double largest = 0;
        for (double v : p) {
            if (v > 0) {
                largest = Math.max(largest, Math.abs(Math.log(v)));
            }
        }
        return largest;
    }

    private static float[] logits(double[] p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) Math.log(p[i]);
        }
        return out;
    }

    private static int argmax(float[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }
}
