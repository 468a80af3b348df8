package dev.divergence.training.job;

/**
 * Teacher → student distillation (teacher p, student q; temperature on both).
 *
 * @param ceWeight weight of the cross-entropy to the data mixed into the loss, in [0, 1]
 * @param onPolicyFraction probability per step of training on student-generated sequences (GKD lambda)
 * @param sequenceLevel train on teacher generations instead of the dataset's continuations
 * @param topK keep only the teacher's top-k logits, the tail mass as one bin (0 = all)
 * @param teacherCache when set, the teacher's top-k is computed once into a file and read from it
 *     (language models only; the loss then uses the cache's k)
 * @param maxNewTokens longest generation, in tokens, of the on-policy (student) and sequence-level
 *     (teacher) sequences; {@value #DEFAULT_MAX_NEW_TOKENS} when unset (the built-in arithmetic
 *     answers are short); a generation also stops at the context's end
 */
public record DistillationSpec(
    String teacherModel,
    DivergenceChoice divergence,
    Double temperature,
    Double ceWeight,
    Double onPolicyFraction,
    Boolean sequenceLevel,
    Integer topK,
    TeacherCacheSpec teacherCache,
    Integer maxNewTokens) implements MethodSpec {

  public static final int DEFAULT_MAX_NEW_TOKENS = 12;
  /** The most a spec may ask for: generation runs token by token on the training worker. */
  public static final int MAX_MAX_NEW_TOKENS = 4096;

  /** A spec with the default generation length. */
  public DistillationSpec(String teacherModel, DivergenceChoice divergence, Double temperature, Double ceWeight,
      Double onPolicyFraction, Boolean sequenceLevel, Integer topK, TeacherCacheSpec teacherCache) {
    this(teacherModel, divergence, temperature, ceWeight, onPolicyFraction, sequenceLevel, topK, teacherCache, null);
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.DISTILLATION;
  }

  public DistillationSpec withDefaults() {
    return new DistillationSpec(teacherModel, divergence,
        temperature == null ? defaultTemperature(divergence == null ? null : divergence.name()) : temperature,
        ceWeight == null ? 0.0 : ceWeight,
        onPolicyFraction == null ? 0.0 : onPolicyFraction,
        sequenceLevel != null && sequenceLevel,
        effectiveTopK(),
        teacherCache,
        maxNewTokens == null ? DEFAULT_MAX_NEW_TOKENS : maxNewTokens);
  }

  /**
   * The temperature of a spec that sets none: SinKD's own 2 for sinkhorn (its paper's setting), 1 for
   * every other divergence. Filled in here, when the job is stored, so that an explicit 1 stays 1.
   */
  public static double defaultTemperature(String divergence) {
    return "sinkhorn".equals(divergence) ? 2.0 : 1.0;
  }

  /** The k of the teacher's top-k (the cache's when there is one); 0 = full distribution. */
  public int effectiveTopK() {
    if (teacherCache != null && teacherCache.topK() != null) {
      return teacherCache.topK();
    }
    return topK == null ? 0 : topK;
  }
}
