package dev.divergence.evaluation.automatic;

import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.Suite;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The default suite of a newly registered model, by its kind, against its lineage (the reference
 * model, else the teacher, else the base it was trained from):
 * <ul>
 *   <li>language model: model_divergence against the lineage (when it has one), rewards and
 *       diversity, on {@value #PROMPTS} built-in arithmetic prompts with {@value #SAMPLES} samples each;</li>
 *   <li>classifier: the classifier suite on the held-out split of the dataset its training job used,
 *       with the divergences to the lineage's class probabilities.</li>
 * </ul>
 */
public final class DefaultSuites {

  static final int PROMPTS = 32;
  static final int SAMPLES = 4;
  static final int MAX_TOKENS = 8;
  private static final Set<String> CLASSIFIER_ARCHITECTURES = Set.of("mlp", "cnn", "cnn8x8");

  private DefaultSuites() {
  }

  public static boolean isClassifier(String architecture) {
    return architecture != null && CLASSIFIER_ARCHITECTURES.contains(architecture.toLowerCase(Locale.ROOT));
  }

  /**
   * The lineage model to compare against, as the name the inference service serves it under, or
   * null. The registry writes lineage as "name:version"; inference serves a model by name.
   */
  public static String lineage(String reference, String teacher, String base) {
    for (String candidate : new String[] {reference, teacher, base}) {
      if (candidate != null && !candidate.isBlank()) {
        return VERSION_SUFFIX.matcher(candidate.strip()).replaceFirst("");
      }
    }
    return null;
  }

  private static final java.util.regex.Pattern VERSION_SUFFIX = java.util.regex.Pattern.compile(":[0-9]+$");

  public static RunSpec languageModel(String model, String lineage) {
    List<String> suites = new ArrayList<>();
    if (lineage != null) {
      suites.add(Suite.MODEL_DIVERGENCE.apiName());
    }
    suites.add(Suite.REWARDS.apiName());
    suites.add(Suite.DIVERSITY.apiName());
    return new RunSpec(model, lineage, suites, new RunSpec.PromptSource("arithmetic", null, null, null, PROMPTS, 1L),
        new RunSpec.Sampling(SAMPLES, 1.0, null, null, MAX_TOKENS, 0L), null, null, null, null, null);
  }

  public static RunSpec classifier(String model, String lineage, String dataset) {
    return new RunSpec(model, lineage, List.of(Suite.CLASSIFIER.apiName()),
        new RunSpec.PromptSource(null, dataset, "test", null, null, null), null, null, null, null, null, null);
  }
}
