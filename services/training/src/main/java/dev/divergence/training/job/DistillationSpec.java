package dev.divergence.training.job;

/**
 * Teacher → student distillation (teacher p, student q; temperature on both).
 *
 * @param ceWeight weight of the cross-entropy to the data mixed into the loss, in [0, 1]
 * @param onPolicyFraction probability per step of training on student-generated sequences (GKD lambda)
 * @param sequenceLevel train on teacher generations instead of the dataset's continuations
 * @param topK keep only the teacher's top-k logits, the tail mass as one bin (0 = all)
 */
public record DistillationSpec(
    String teacherModel,
    DivergenceChoice divergence,
    Double temperature,
    Double ceWeight,
    Double onPolicyFraction,
    Boolean sequenceLevel,
    Integer topK) implements MethodSpec {

  @Override
  public Algorithm algorithm() {
    return Algorithm.DISTILLATION;
  }

  public DistillationSpec withDefaults() {
    return new DistillationSpec(teacherModel, divergence,
        temperature == null ? 1.0 : temperature,
        ceWeight == null ? 0.0 : ceWeight,
        onPolicyFraction == null ? 0.0 : onPolicyFraction,
        sequenceLevel != null && sequenceLevel,
        topK == null ? 0 : topK);
  }
}
