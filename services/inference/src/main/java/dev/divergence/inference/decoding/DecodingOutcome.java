package dev.divergence.inference.decoding;

import java.util.List;

/**
 * A finished decoding.
 *
 * @param promptTokens tokens in the first stream's prompt (prefix, context and prompt)
 */
public record DecodingOutcome(List<GeneratedToken> tokens, String text, FinishReason finishReason, int promptTokens) {

    public long[] tokenIds() {
        return tokens.stream().mapToLong(GeneratedToken::id).toArray();
    }
}
