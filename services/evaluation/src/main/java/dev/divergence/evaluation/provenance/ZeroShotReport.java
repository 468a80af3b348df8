package dev.divergence.evaluation.provenance;

import java.util.List;

/**
 * The zero-shot provenance statistic of the submitted texts (docs/evaluation.md, "Provenance and
 * membership scores").
 *
 * @param model          the model scored under
 * @param modelVersion   the version the inference service served
 * @param delta          the level
 * @param vocabularySize V of the clip bound
 * @param convention     how the texts were scored
 * @param results        one per text, in request order
 */
public record ZeroShotReport(String model, String modelVersion, double delta, int vocabularySize, Convention convention,
    List<Text> results) {

  /**
   * @param index               the text's index in the request
   * @param statistic           T = meanLogPerplexity - meanEntropy
   * @param meanLogPerplexity   (1/n) sum -log p(x_i | x_&lt;i), nats
   * @param meanEntropy         (1/n) sum H(p(. | x_&lt;i)), nats
   * @param tokens              n
   * @param clipBound           B = log(2 n V / delta)
   * @param upperThreshold      tau = B sqrt(log(4 / delta) / (2 n))
   * @param lowerThreshold      -(tau + delta / (2 e n))
   * @param consistentWithModel lowerThreshold &lt; T &lt; upperThreshold
   * @param decision            "consistent" or "inconsistent" (with having been sampled from the model)
   */
  public record Text(int index, double statistic, double meanLogPerplexity, double meanEntropy, int tokens,
      double clipBound, double upperThreshold, double lowerThreshold, boolean consistentWithModel, String decision) {}

  public record Convention(String logBase, String scoredPositions, String entropies) {}
}
