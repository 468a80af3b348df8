package dev.divergence.inference.scoring;

import java.util.List;

/**
 * @param tokenIds the continuation's tokens
 * @param tokenLogProbs natural-log probability of each, given the prompt and the tokens before it
 * @param distributions one per continuation token: the next-token distribution before it
 * @param promptTokenCount tokens of the prompt as the model saw it (with BOS when the tokenizer has one)
 */
public record ContinuationDistributions(List<Long> tokenIds, List<Double> tokenLogProbs, List<NextTokenDistribution> distributions,
    int promptTokenCount) {}
