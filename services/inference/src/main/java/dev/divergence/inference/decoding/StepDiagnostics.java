package dev.divergence.inference.decoding;

/**
 * What a strategy decided at one step, reported when a request asks for diagnostics.
 *
 * @param alpha cad/adacad: the contrast weight used (for adacad the step's JS divergence, floored); else null
 * @param entropy entropy (nats) of the final distribution the token was chosen from
 * @param confident uscd: true when the standard prompt's distribution was used as is; else null
 */
public record StepDiagnostics(Double alpha, double entropy, Boolean confident) {
}
