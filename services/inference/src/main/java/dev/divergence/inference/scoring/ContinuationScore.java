package dev.divergence.inference.scoring;

import java.util.List;

/**
 * @param tokenIds the continuation's tokens
 * @param tokenLogProbs natural-log probability of each, given the prompt and the tokens before it
 */
public record ContinuationScore(List<Long> tokenIds, List<Double> tokenLogProbs, double sumLogProb, double meanLogProb,
    int tokenCount) {}
