package dev.divergence.merging.engine;

import dev.divergence.merging.domain.MergePlan;

/**
 * A merged model's prediction for a batch.
 *
 * @param plan the method's decision: per sample the JS, lambda, generalist weight, which model dominated
 * @param logits merged logits [B][C] (for an output ensemble: the log of the mixed probabilities)
 * @param probabilities [B][C], rows sum to one
 */
public record MergedPrediction(MergePlan plan, double[][] logits, double[][] probabilities) {

  public int predictedClass(int i) {
    int best = 0;
    for (int j = 1; j < probabilities[i].length; j++) {
      if (probabilities[i][j] > probabilities[i][best]) {
        best = j;
      }
    }
    return best;
  }
}
