package dev.divergence.inference.decoding;

import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.tokenizer.TextTokenizer;
import java.util.List;

/**
 * Everything one decoding needs, checked: the strategy and its stream prompts, the sampling
 * options (temperature, top-k, top-p, seed of {@code sampling}; its token limits are unused),
 * when to stop, and whether to report per-step diagnostics.
 */
public record DecodingPlan(DecodingStrategy strategy, List<long[]> streamPrompts, GenerationConfig sampling, StopRules stop,
        boolean diagnostics, TextTokenizer tokenizer) {

    public DecodingPlan {
        streamPrompts = List.copyOf(streamPrompts);
        for (long[] prompt : streamPrompts) {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("every stream needs a prompt of at least one token");
            }
        }
    }

    public static DecodingPlan of(DecodingStrategy strategy, PromptTokens tokens, GenerationConfig sampling, StopRules stop,
            boolean diagnostics, TextTokenizer tokenizer) {
        return new DecodingPlan(strategy, strategy.streamPrompts(tokens), sampling, stop, diagnostics, tokenizer);
    }

    /** Tokens in the longest stream prompt, which decides when the context is full. */
    public int longestPrompt() {
        return streamPrompts.stream().mapToInt(p -> p.length).max().orElse(0);
    }
}
