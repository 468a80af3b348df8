package dev.divergence.evaluation.run;

import java.util.Arrays;
import java.util.Optional;

/** The metric suites a run can ask for, by their API names. */
public enum Suite {
  /** Model vs reference over the vocabulary, per token (KL, reverse KL, JS, TV) on texts and on samples. */
  MODEL_DIVERGENCE("model_divergence"),
  /** Verifiable rewards (exact match) and pass@k from n samples per prompt. */
  REWARDS("rewards"),
  /** Diversity of samples: distinct-n, self-similarity, Vendi score. */
  DIVERSITY("diversity"),
  /** Classifiers: accuracy, NLL, ECE, Brier, reliability data, per split. */
  CLASSIFIER("classifier"),
  /** The same prompts under several decoding strategies, with the context-following rate. */
  DECODING("decoding");

  private final String apiName;

  Suite(String apiName) {
    this.apiName = apiName;
  }

  public String apiName() {
    return apiName;
  }

  public boolean needsLanguageModel() {
    return this != CLASSIFIER;
  }

  public static Optional<Suite> byApiName(String name) {
    return Arrays.stream(values()).filter(s -> s.apiName.equals(name)).findFirst();
  }
}
