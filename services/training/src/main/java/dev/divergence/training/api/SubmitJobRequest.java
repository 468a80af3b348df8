package dev.divergence.training.api;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import java.util.Map;

/** Body of {@code POST /api/v1/training/jobs}. */
public record SubmitJobRequest(
    String idempotencyKey,
    String displayName,
    @NotNull(message = "is required") @Valid Spec spec) {

  public record Spec(
      String algorithm,
      String divergence,
      String baseModel,
      String teacherModel,
      String dataset,
      @NotNull(message = "is required") Long maxSteps,
      Map<String, Double> parameters) {}
}
