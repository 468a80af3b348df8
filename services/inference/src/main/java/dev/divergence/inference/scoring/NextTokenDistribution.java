package dev.divergence.inference.scoring;

/**
 * Primitive arrays, not boxed lists: a token-distributions answer holds up to
 * {@link ScoringService#MAX_DISTRIBUTION_VALUES} of them (JSON writes both as arrays of numbers).
 *
 * @param tokenIds full distribution: every id in order (one array shared by a call's full
 *     distributions; do not modify); top-k: the k ids by decreasing probability
 * @param probabilities aligned with {@code tokenIds}
 * @param tailMass probability of the tokens not listed (0 for the full distribution)
 * @param entropy of the full distribution, in nats
 */
public record NextTokenDistribution(long[] tokenIds, double[] probabilities, double tailMass, double entropy) {}
