package dev.divergence.inference.decoding;

/**
 * One generated token.
 *
 * @param index 0 for the first generated token
 * @param text the text this token adds to the output (empty for special tokens, and while a
 *     multi-byte character is incomplete; the piece that completes it carries it whole)
 * @param logProb natural log-probability of the token under the final distribution
 * @param diagnostics per-step details, null unless requested
 */
public record GeneratedToken(int index, long id, String text, double logProb, StepDiagnostics diagnostics) {
}
