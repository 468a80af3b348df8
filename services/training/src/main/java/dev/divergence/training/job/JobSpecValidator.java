package dev.divergence.training.job;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rules every job spec must satisfy whatever the transport, so REST and gRPC reject the same input
 * with the same field names.
 */
public final class JobSpecValidator {

  /** Job types this service runs; trainers per algorithm arrive with the training issue. */
  public static final Set<String> ALGORITHMS = Set.of("distillation", "f_dpo", "supervised");

  /** The platform's divergence vocabulary (ARCHITECTURE.md, Conventions). */
  public static final Set<String> DIVERGENCES = Set.of(
      "kl", "reverse_kl", "js", "jsd", "tv", "hellinger", "chi2", "alpha", "skew_kl", "skew_reverse_kl",
      "sinkhorn", "akl");

  private JobSpecValidator() {}

  public static void validate(String displayName, JobSpec spec) {
    List<FieldViolation> violations = new ArrayList<>();
    if (displayName != null && displayName.length() > 200) {
      violations.add(new FieldViolation("displayName", "must be at most 200 characters"));
    }
    if (spec == null) {
      throw new InvalidArgumentException("spec", "is required");
    }
    if (isBlank(spec.algorithm())) {
      violations.add(new FieldViolation("spec.algorithm", "is required"));
    } else if (!ALGORITHMS.contains(spec.algorithm())) {
      violations.add(new FieldViolation("spec.algorithm", "unknown algorithm '" + spec.algorithm() + "'; one of " + sorted(ALGORITHMS)));
    }
    if (isBlank(spec.divergence())) {
      violations.add(new FieldViolation("spec.divergence", "is required"));
    } else if (!DIVERGENCES.contains(spec.divergence())) {
      violations.add(new FieldViolation("spec.divergence", "unknown divergence '" + spec.divergence() + "'; one of " + sorted(DIVERGENCES)));
    }
    if (isBlank(spec.baseModel())) {
      violations.add(new FieldViolation("spec.baseModel", "is required"));
    }
    if ("distillation".equals(spec.algorithm()) && isBlank(spec.teacherModel())) {
      violations.add(new FieldViolation("spec.teacherModel", "is required for distillation"));
    }
    if (isBlank(spec.dataset())) {
      violations.add(new FieldViolation("spec.dataset", "is required"));
    }
    if (spec.maxSteps() <= 0) {
      violations.add(new FieldViolation("spec.maxSteps", "must be positive"));
    }
    spec.parameters().forEach((name, value) -> {
      if (value == null || !Double.isFinite(value)) {
        violations.add(new FieldViolation("spec.parameters." + name, "must be a finite number"));
      }
    });
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
