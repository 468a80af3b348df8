package dev.divergence.inference.scoring;

import java.util.List;

/**
 * @param tokenIds full distribution: every id in order; top-k: the k ids by decreasing probability
 * @param probabilities aligned with {@code tokenIds}
 * @param tailMass probability of the tokens not listed (0 for the full distribution)
 * @param entropy of the full distribution, in nats
 */
public record NextTokenDistribution(List<Long> tokenIds, List<Double> probabilities, double tailMass, double entropy) {}
