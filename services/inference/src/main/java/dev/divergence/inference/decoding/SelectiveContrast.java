package dev.divergence.inference.decoding;

import java.util.List;

/**
 * USCD-style selective contrastive decoding: a standard prompt and a "lame" one (e.g. without its
 * few-shot examples). A step whose standard distribution is peaked (standard deviation over the
 * vocabulary above {@code threshold}) keeps log P_std as is; otherwise tokens with
 * P_std < mean(P_std) * fraction are dropped and the rest scored log(w_std P_std + w_lame P_lame),
 * a non-positive mixture counting as -inf.
 */
public final class SelectiveContrast implements DecodingStrategy {

    public static final double DEFAULT_THRESHOLD = 0.004;
    public static final double DEFAULT_FRACTION = 0.5;
    public static final double DEFAULT_STANDARD_WEIGHT = 1.0;
    public static final double DEFAULT_LAME_WEIGHT = -0.7;

    private final double threshold;
    private final double fraction;
    private final double standardWeight;
    private final double lameWeight;

    public SelectiveContrast(double threshold, double fraction, double standardWeight, double lameWeight) {
        this.threshold = threshold;
        this.fraction = fraction;
        this.standardWeight = standardWeight;
        this.lameWeight = lameWeight;
    }

    public static SelectiveContrast defaults() {
        return new SelectiveContrast(DEFAULT_THRESHOLD, DEFAULT_FRACTION, DEFAULT_STANDARD_WEIGHT, DEFAULT_LAME_WEIGHT);
    }

    @Override
    public String name() {
        return "uscd";
    }

    @Override
    public List<long[]> streamPrompts(PromptTokens tokens) {
        return List.of(PromptTokens.concat(tokens.prefix(), tokens.context(), tokens.prompt()),
                PromptTokens.concat(tokens.prefix(), tokens.context(), tokens.lamePrompt()));
    }

    @Override
    public StepScores combine(float[][] logits) {
        double[] standard = Distributions.softmax(logits[0]);
        double[] lame = Distributions.softmax(logits[1]);
        int vocab = standard.length;
        double mean = 1.0 / vocab;
        double variance = 0;
        for (double p : standard) {
            variance += (p - mean) * (p - mean);
        }
        float[] scores = new float[vocab];
        if (Math.sqrt(variance / vocab) > threshold) {
            for (int i = 0; i < vocab; i++) {
                scores[i] = (float) Math.log(standard[i]);
            }
            return new StepScores(scores, null, true);
        }
        double cut = mean * fraction;
        boolean anyValid = false;
        for (int i = 0; i < vocab; i++) {
            double mixture = standardWeight * standard[i] + lameWeight * lame[i];
            boolean valid = standard[i] >= cut && mixture > 0;
            scores[i] = valid ? (float) Math.log(mixture) : Float.NEGATIVE_INFINITY;
            anyValid |= valid;
        }
        if (!anyValid) {
            // the lame prompt outweighs every surviving token: fall back to the standard prompt rather than fail
            for (int i = 0; i < vocab; i++) {
                scores[i] = (float) Math.log(standard[i]);
            }
        }
        return new StepScores(scores, null, false);
    }
}
