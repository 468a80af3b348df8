package dev.divergence.inference.decoding;

import java.util.List;

/**
 * Context-aware decoding (CAD, and AdaCAD with a per-step weight): two streams, the prompt with
 * the context before it and the prompt alone, combined as
 * {@code (1 + a) z(y | context, x) - a z(y | x)}, which amplifies what the context changes.
 *
 * <p>A token masked (logit -inf) in either stream stays masked for a &gt; 0: the formula would give
 * NaN (masked in both) or +inf (masked only without the context) and choose a token that one of
 * the streams forbids.
 */
public final class ContextContrast implements DecodingStrategy {

    private final String name;
    private final AlphaRule rule;

    public ContextContrast(String name, AlphaRule rule) {
        this.name = name;
        this.rule = rule;
    }

    public static ContextContrast cad(double alpha) {
        return new ContextContrast("cad", AlphaRule.constant(alpha));
    }

    public static ContextContrast adaCad(double floor) {
        return new ContextContrast("adacad", AlphaRule.jensenShannon(floor));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<long[]> streamPrompts(PromptTokens tokens) {
        return List.of(PromptTokens.concat(tokens.prefix(), tokens.context(), tokens.prompt()),
                PromptTokens.concat(tokens.prefix(), tokens.prompt()));
    }

    @Override
    public StepScores combine(float[][] logits) {
        float[] withContext = logits[0];
        float[] withoutContext = logits[1];
        double alpha = rule.alpha(withContext, withoutContext);
        float[] scores = new float[withContext.length];
        if (alpha == 0) {
            // exactly the context stream's logits (0 * -inf would be NaN)
            System.arraycopy(withContext, 0, scores, 0, scores.length);
        } else {
            for (int i = 0; i < scores.length; i++) {
                boolean masked = withContext[i] == Float.NEGATIVE_INFINITY || withoutContext[i] == Float.NEGATIVE_INFINITY;
                scores[i] = masked ? Float.NEGATIVE_INFINITY : (float) ((1 + alpha) * withContext[i] - alpha * withoutContext[i]);
            }
        }
        return new StepScores(scores, alpha, null);
    }
}
