package dev.divergence.evaluation.provenance;

import java.util.List;

/**
 * DC-PDD scores of the submitted texts with everything they are built from (docs/evaluation.md,
 * "Provenance and membership scores").
 *
 * @param model        the model scored under
 * @param modelVersion the version the inference service served
 * @param a            the clipping bound used
 * @param reference    the token frequency distribution's corpus
 * @param convention   how the texts were scored and what the numbers mean
 * @param results      one per text, in request order
 */
public record DcPddReport(String model, String modelVersion, double a, Reference reference, Convention convention,
    List<Text> results) {

  /**
   * @param source         referenceTexts, referenceDataset or tokenCounts
   * @param dataset        the dataset read (referenceDataset), else null
   * @param texts          texts tokenized (0 for tokenCounts)
   * @param tokens         N, the tokens counted
   * @param vocabularySize |V|
   */
  public record Reference(String source, String dataset, int texts, long tokens, int vocabularySize) {}

  /**
   * @param index         the text's index in the request
   * @param score         beta, the mean of the clipped alphas (larger: more likely a pretraining member)
   * @param scoredTokens  tokens with a model probability (the text after its first character)
   * @param countedTokens first occurrences among them (the paper's FOS), over which the mean runs
   * @param clippedCount  how many alphas exceeded a
   * @param tokens        the counted tokens, in text order
   */
  public record Text(int index, double score, int scoredTokens, int countedTokens, int clippedCount,
      List<CountedToken> tokens) {}

  /**
   * @param position             index among the scored tokens
   * @param tokenId              x_i
   * @param logProbability       log p(x_i | x_&lt;i), natural log, as the inference service computed it
   * @param probability          p_i
   * @param negativeLogFrequency -log f(x_i) with f Laplace-smoothed over the reference corpus
   * @param alpha                p_i (-log f(x_i))
   * @param clippedAlpha         min(alpha, a)
   */
  public record CountedToken(int position, long tokenId, double logProbability, double probability,
      double negativeLogFrequency, double alpha, double clippedAlpha) {}

  /** The conventions, in words, so that a reader of a stored response knows what was computed. */
  public record Convention(String logBase, String scoredPositions, String frequencies, String counted, String orientation,
      double defaultA) {}
}
