package dev.divergence.training.job;

/**
 * What to train. Exactly one of {@code distillation}, {@code fDpo}, {@code fDpg}, {@code rlvr}, {@code supervised}
 * is set, the one matching {@code algorithm}.
 *
 * @param model the model trained: the student, the policy (f-DPG: also the base a of the target), or
 *     the base of supervised training
 */
public record JobSpec(
    String algorithm,
    String model,
    String dataset,
    Budget budget,
    DistillationSpec distillation,
    FDpoSpec fDpo,
    SupervisedSpec supervised,
    FDpgSpec fDpg,
    RlvrSpec rlvr) {

  /** A spec of the algorithms that existed before RLVR (no {@code rlvr} block). */
  public JobSpec(String algorithm, String model, String dataset, Budget budget, DistillationSpec distillation,
      FDpoSpec fDpo, SupervisedSpec supervised, FDpgSpec fDpg) {
    this(algorithm, model, dataset, budget, distillation, fDpo, supervised, fDpg, null);
  }

  /** A spec of the algorithms that existed before f-DPG (no {@code fDpg} block). */
  public JobSpec(String algorithm, String model, String dataset, Budget budget, DistillationSpec distillation,
      FDpoSpec fDpo, SupervisedSpec supervised) {
    this(algorithm, model, dataset, budget, distillation, fDpo, supervised, null);
  }

  /** The method part matching {@link #algorithm()}; valid specs only. */
  public MethodSpec method() {
    return switch (Algorithm.byApiName(algorithm).orElseThrow()) {
      case DISTILLATION -> distillation;
      case F_DPO -> fDpo;
      case F_DPG -> fDpg;
      case RLVR -> rlvr == null ? RlvrSpec.defaults() : rlvr;
      case SUPERVISED -> supervised == null ? new SupervisedSpec() : supervised;
    };
  }

  /** The divergence the job optimises, if its algorithm has one. */
  public String divergenceName() {
    if (distillation != null && distillation.divergence() != null) {
      return distillation.divergence().name();
    }
    if (fDpo != null && fDpo.divergence() != null) {
      return fDpo.divergence().name();
    }
    if (fDpg != null) {
      return fDpg.divergence() != null ? fDpg.divergence().name() : fDpg.rlhf() != null ? "reverse_kl" : FDpgSpec.DEFAULT_DIVERGENCE;
    }
    if (rlvr != null && rlvr.regulariser() != null && rlvr.regulariser().kind() != null) {
      RlvrSpec.Regulariser r = rlvr.regulariser();
      return switch (r.kind()) {
        case "rehearsal" -> r.divergence() == null ? "forward_kl" : r.divergence();
        case "kl" -> "kl_" + (r.estimator() == null ? "k3" : r.estimator());
        default -> "";
      };
    }
    return "";
  }

  /** The same spec with every default filled in; valid specs only. */
  public JobSpec withDefaults() {
    Budget filled = budget.withDefaults();
    return new JobSpec(algorithm, model, dataset, filled,
        distillation == null ? null : distillation.withDefaults(),
        fDpo == null ? null : fDpo.withDefaults(),
        Algorithm.SUPERVISED.apiName().equals(algorithm) ? new SupervisedSpec() : null,
        fDpg == null ? null : fDpg.withDefaults(filled.batchSize()),
        Algorithm.RLVR.apiName().equals(algorithm) ? (rlvr == null ? RlvrSpec.defaults() : rlvr).withDefaults() : null);
  }

  /** The same spec with another budget (retry with changed parameters). */
  public JobSpec withBudget(Budget newBudget) {
    return new JobSpec(algorithm, model, dataset, newBudget, distillation, fDpo, supervised, fDpg, rlvr);
  }
}
