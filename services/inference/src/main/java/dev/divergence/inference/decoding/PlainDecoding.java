package dev.divergence.inference.decoding;

import java.util.List;

/** One stream, scores = logits: greedy or sampling, as the sampling options say. */
public record PlainDecoding(String name) implements DecodingStrategy {

    @Override
    public List<long[]> streamPrompts(PromptTokens tokens) {
        return List.of(PromptTokens.concat(tokens.prefix(), tokens.context(), tokens.prompt()));
    }

    @Override
    public StepScores combine(float[][] logits) {
        return StepScores.plain(logits[0]);
    }
}
