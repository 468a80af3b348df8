package dev.divergence.evaluation.run;

import java.util.List;

/**
 * What a run evaluates and how; the REST body's {@code spec}, stored as JSON. {@link RunSpecValidator}
 * checks it and fills every default in, so a stored spec records exactly the settings used.
 */
public record RunSpec(
    String model,
    String referenceModel,
    List<String> suites,
    PromptSource prompts,
    Sampling sampling,
    List<String> divergences,
    List<Integer> passAtK,
    List<Strategy> strategies,
    Double confidenceLevel,
    Integer bins) {

  /** Exactly one of builtIn, dataset or items. */
  public record PromptSource(String builtIn, String dataset, String split, List<PromptItem> items, Integer limit, Long seed) {}

  /** One prompt; the divergence suites score prompt + answer. */
  public record PromptItem(String prompt, String answer, String context, String priorAnswer) {}

  /** Sampling for rewards, pass@k and diversity; sample j of prompt i uses seed + i * samples + j. */
  public record Sampling(Integer samples, Double temperature, Integer topK, Double topP, Integer maxTokens, Long seed) {}

  /** A decoding strategy of the inference service with its optional parameters. */
  public record Strategy(String name, Double alpha, Double alphaFloor, Double threshold, Double fraction, List<Double> weights) {}

  public boolean has(Suite suite) {
    return suites != null && suites.contains(suite.apiName());
  }
}
