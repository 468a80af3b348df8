package dev.divergence.inference.decoding;

import java.util.List;
import java.util.Set;

/**
 * When generation ends: a stop token (the model's eos), a stop text appearing in the decoded
 * output (kept in it), {@code maxTokens} generated, or no room left in the model's context for
 * the next token in the longest stream.
 */
public record StopRules(int maxTokens, Set<Long> stopTokenIds, List<String> stopTexts, int contextLength) {

    public StopRules {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
        stopTexts = List.copyOf(stopTexts);
    }
}
