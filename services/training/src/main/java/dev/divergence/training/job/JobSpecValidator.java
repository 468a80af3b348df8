package dev.divergence.training.job;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Every rule a job spec must satisfy, whatever the transport: REST and gRPC reject the same input
 * with the same field names. Checks the shape, the ranges, and that the models and the dataset
 * exist and suit the algorithm.
 */
@Component
public class JobSpecValidator {

  /** Divergences each algorithm can optimise, by their platform names. */
  static final Map<Algorithm, Set<String>> DIVERGENCES = Map.of(
      Algorithm.DISTILLATION, Set.of("kl", "reverse_kl", "js", "jsd", "tv", "skew_kl", "skew_reverse_kl", "sinkhorn", "akl", "pld"),
      Algorithm.F_DPO, Set.of("reverse_kl", "kl", "js", "alpha"),
      Algorithm.F_DPG, Set.of("kl", "reverse_kl", "js", "tv", "alpha"));

  /** Dataset kinds each algorithm trains on. */
  static final Map<Algorithm, Set<DatasetKind>> DATASET_KINDS = Map.of(
      Algorithm.DISTILLATION, Set.of(DatasetKind.TEXT, DatasetKind.CLASSIFICATION),
      Algorithm.F_DPO, Set.of(DatasetKind.PREFERENCE),
      Algorithm.F_DPG, Set.of(DatasetKind.TEXT),
      Algorithm.RLVR, Set.of(DatasetKind.TEXT, DatasetKind.VERIFIABLE),
      Algorithm.SUPERVISED, Set.of(DatasetKind.TEXT, DatasetKind.CLASSIFICATION));

  private static final Set<String> SCHEDULES = Set.of("constant", "linear", "cosine");
  private static final Set<String> PROPOSALS = Set.of(FDpgSpec.ON_POLICY, FDpgSpec.OFFLINE);
  private static final Set<String> PROMPT_SOURCES = Set.of(FDpgSpec.PROMPTS_NONE, FDpgSpec.PROMPTS_DATASET);
  /** Most features of one distributional constraint (lambda is fitted by Newton steps over them). */
  static final int MAX_MOMENT_FEATURES = 16;

  private final ModelRegistry models;
  private final DatasetRegistry datasets;

  public JobSpecValidator(ModelRegistry models, DatasetRegistry datasets) {
    this.models = models;
    this.datasets = datasets;
  }

  public void validate(String displayName, JobSpec spec) {
    List<FieldViolation> violations = new ArrayList<>();
    if (displayName != null && displayName.length() > 200) {
      violations.add(new FieldViolation("displayName", "must be at most 200 characters"));
    }
    if (spec == null) {
      throw new InvalidArgumentException("spec", "is required");
    }
    Optional<Algorithm> algorithm = Algorithm.byApiName(spec.algorithm());
    if (spec.algorithm() == null || spec.algorithm().isBlank()) {
      violations.add(new FieldViolation("spec.algorithm", "is required; one of " + Algorithm.apiNames()));
    } else if (algorithm.isEmpty()) {
      violations.add(new FieldViolation("spec.algorithm", "unknown algorithm '" + spec.algorithm() + "'; one of " + Algorithm.apiNames()));
    }
    requireModel(violations, "spec.model", spec.model());
    validateBudget(violations, spec.budget());
    algorithm.ifPresent(a -> {
      validateMethodBlocks(violations, a, spec);
      validateDataset(violations, a, spec.dataset());
      switch (a) {
        case DISTILLATION -> {
          validateDistillation(violations, spec.distillation());
          validateTeacherCache(violations, spec);
        }
        case F_DPO -> validateFDpo(violations, spec.fDpo());
        case F_DPG -> validateFDpg(violations, spec.fDpg(), spec.model());
        case RLVR -> validateRlvr(violations, spec.rlvr(), spec.model(), spec.dataset());
        case SUPERVISED -> { }
      }
    });
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }

  private static void validateMethodBlocks(List<FieldViolation> violations, Algorithm algorithm, JobSpec spec) {
    if (algorithm != Algorithm.DISTILLATION && spec.distillation() != null) {
      violations.add(new FieldViolation("spec.distillation", "only for algorithm distillation"));
    }
    if (algorithm != Algorithm.F_DPO && spec.fDpo() != null) {
      violations.add(new FieldViolation("spec.fDpo", "only for algorithm f_dpo"));
    }
    if (algorithm != Algorithm.F_DPG && spec.fDpg() != null) {
      violations.add(new FieldViolation("spec.fDpg", "only for algorithm f_dpg"));
    }
    if (algorithm != Algorithm.RLVR && spec.rlvr() != null) {
      violations.add(new FieldViolation("spec.rlvr", "only for algorithm rlvr"));
    }
    if (algorithm != Algorithm.SUPERVISED && spec.supervised() != null) {
      violations.add(new FieldViolation("spec.supervised", "only for algorithm supervised"));
    }
  }

  private void validateDataset(List<FieldViolation> violations, Algorithm algorithm, String dataset) {
    if (dataset == null || dataset.isBlank()) {
      violations.add(new FieldViolation("spec.dataset", "is required"));
      return;
    }
    Optional<DatasetKind> kind = datasets.kindOf(dataset);
    if (kind.isEmpty()) {
      violations.add(new FieldViolation("spec.dataset", "no dataset '" + dataset + "'; see GET /api/v1/training/datasets"));
    } else if (!DATASET_KINDS.get(algorithm).contains(kind.get())) {
      violations.add(new FieldViolation("spec.dataset", "dataset '" + dataset + "' holds " + kind.get().apiName()
          + " records; " + algorithm.apiName() + " needs " + DATASET_KINDS.get(algorithm).stream().map(DatasetKind::apiName).sorted().toList()));
    }
  }

  private void validateDistillation(List<FieldViolation> violations, DistillationSpec spec) {
    if (spec == null) {
      violations.add(new FieldViolation("spec.distillation", "is required for algorithm distillation"));
      return;
    }
    requireModel(violations, "spec.distillation.teacherModel", spec.teacherModel());
    validateDivergence(violations, "spec.distillation.divergence", Algorithm.DISTILLATION, spec.divergence());
    positive(violations, "spec.distillation.temperature", spec.temperature());
    unitInterval(violations, "spec.distillation.ceWeight", spec.ceWeight());
    unitInterval(violations, "spec.distillation.onPolicyFraction", spec.onPolicyFraction());
    if (spec.topK() != null && spec.topK() < 0) {
      violations.add(new FieldViolation("spec.distillation.topK", "must be 0 (all) or positive"));
    }
    range(violations, "spec.distillation.maxNewTokens", spec.maxNewTokens(), 1, DistillationSpec.MAX_MAX_NEW_TOKENS);
  }

  /**
   * The cache holds the teacher on the dataset's own text: it needs a language-model teacher, a
   * text dataset, a per-token divergence, and no generated sequences (on-policy or sequence-level
   * KD would need the teacher on text that exists only during training).
   */
  private void validateTeacherCache(List<FieldViolation> violations, JobSpec job) {
    DistillationSpec spec = job.distillation();
    if (spec == null || spec.teacherCache() == null) {
      return;
    }
    String field = "spec.distillation.teacherCache";
    Integer k = spec.teacherCache().topK();
    if (k == null) {
      violations.add(new FieldViolation(field + ".topK", "is required (tokens kept per position, at least 1)"));
    } else if (k < 1) {
      violations.add(new FieldViolation(field + ".topK", "must be at least 1 but is " + k));
    } else if (spec.teacherModel() != null && models.exists(spec.teacherModel())) {
      java.util.OptionalInt vocab = models.vocabularySize(spec.teacherModel());
      if (vocab.isEmpty()) {
        violations.add(new FieldViolation(field, "needs a language-model teacher; '" + spec.teacherModel() + "' is not one"));
      } else if (k > vocab.getAsInt()) {
        violations.add(new FieldViolation(field + ".topK", "must be at most the teacher's vocabulary size " + vocab.getAsInt() + " but is " + k));
      }
    }
    if (spec.topK() != null && spec.topK() != 0 && k != null && !spec.topK().equals(k)) {
      violations.add(new FieldViolation("spec.distillation.topK", "differs from teacherCache.topK (" + k + "); set only teacherCache.topK"));
    }
    if (spec.divergence() != null && spec.divergence().name() != null
        && DIVERGENCES.get(Algorithm.DISTILLATION).contains(spec.divergence().name())
        && !dev.divergence.training.trainer.loss.DistillationLosses.PER_TOKEN.contains(spec.divergence().name())) {
      violations.add(new FieldViolation(field, "works with the per-token divergences "
          + sorted(dev.divergence.training.trainer.loss.DistillationLosses.PER_TOKEN) + ", not " + spec.divergence().name()));
    }
    if (spec.onPolicyFraction() != null && spec.onPolicyFraction() > 0) {
      violations.add(new FieldViolation(field, "caches the teacher on the dataset's text; onPolicyFraction must be 0"));
    }
    if (Boolean.TRUE.equals(spec.sequenceLevel())) {
      violations.add(new FieldViolation(field, "caches the teacher on the dataset's text; sequenceLevel must be false"));
    }
    if (job.dataset() != null && datasets.kindOf(job.dataset()).filter(kind -> kind != DatasetKind.TEXT).isPresent()) {
      violations.add(new FieldViolation(field, "is for language-model distillation on text datasets"));
    }
  }

  private void validateFDpo(List<FieldViolation> violations, FDpoSpec spec) {
    if (spec == null) {
      violations.add(new FieldViolation("spec.fDpo", "is required for algorithm f_dpo"));
      return;
    }
    requireModel(violations, "spec.fDpo.referenceModel", spec.referenceModel());
    validateDivergence(violations, "spec.fDpo.divergence", Algorithm.F_DPO, spec.divergence());
    positive(violations, "spec.fDpo.beta", spec.beta());
    if (spec.labelSmoothing() != null && !(spec.labelSmoothing() >= 0 && spec.labelSmoothing() < 0.5)) {
      violations.add(new FieldViolation("spec.fDpo.labelSmoothing", "must be in [0, 0.5)"));
    }
  }

  private void validateFDpg(List<FieldViolation> violations, FDpgSpec spec, String model) {
    String field = "spec.fDpg";
    if (spec == null) {
      violations.add(new FieldViolation(field, "is required for algorithm f_dpg (with a constraint or moments)"));
      return;
    }
    if (spec.divergence() != null) {
      validateDivergence(violations, field + ".divergence", Algorithm.F_DPG, spec.divergence());
    }
    int targets = (spec.constraint() != null ? 1 : 0) + (spec.moments() != null ? 1 : 0) + (spec.rlhf() != null ? 1 : 0);
    if (targets == 0) {
      violations.add(new FieldViolation(field + ".constraint", "a target is required: a constraint, moments or rlhf"));
    } else if (targets > 1) {
      violations.add(new FieldViolation(spec.rlhf() != null ? field + ".rlhf" : field + ".moments",
          "give one target: a constraint, moments or rlhf"));
    }
    if (spec.rlhf() != null) {
      if (spec.rlhf().reward() == null) {
        violations.add(new FieldViolation(field + ".rlhf.reward", "is required: the reward as a feature {\"name\": one of "
            + FDpgSpec.Feature.NAMES + ", ...}"));
      } else {
        validateFeature(violations, field + ".rlhf.reward", spec.rlhf().reward());
      }
      positive(violations, field + ".rlhf.beta", spec.rlhf().beta());
    }
    if (spec.constraint() != null) {
      validateFeature(violations, field + ".constraint", spec.constraint());
    }
    if (spec.moments() != null) {
      FDpgSpec.Moments moments = spec.moments();
      List<FDpgSpec.Feature> features = moments.features();
      if (features == null || features.isEmpty()) {
        violations.add(new FieldViolation(field + ".moments.features", "is required: at least one feature"));
      } else if (features.size() > MAX_MOMENT_FEATURES) {
        violations.add(new FieldViolation(field + ".moments.features", "must hold at most " + MAX_MOMENT_FEATURES + " features"));
      } else {
        for (int i = 0; i < features.size(); i++) {
          validateFeature(violations, field + ".moments.features[" + i + "]", features.get(i));
        }
      }
      List<Double> means = moments.means();
      int expected = features == null ? 0 : features.size();
      if (means == null || means.size() != expected) {
        violations.add(new FieldViolation(field + ".moments.means",
            "must hold one target mean per feature (" + expected + ") but holds " + (means == null ? 0 : means.size())));
      } else {
        for (int i = 0; i < means.size(); i++) {
          Double mu = means.get(i);
          // every feature is binary: a mean of 0 or 1 is a pointwise constraint, no exponential family reaches it
          if (mu == null || !(mu > 0 && mu < 1)) {
            violations.add(new FieldViolation(field + ".moments.means[" + i + "]",
                "must be in (0, 1): the target's mean of a binary feature (0 or 1 is a pointwise constraint)"));
          }
        }
      }
    }
    range(violations, field + ".samplesPerStep", spec.samplesPerStep(), 1, 4096);
    // samples also stop at the model's context (the BOS prompt takes one position of it)
    range(violations, field + ".maxNewTokens", spec.maxNewTokens(), 1, 4096);
    if (spec.temperature() != null && !(spec.temperature() > 0 && spec.temperature() <= 10)) {
      violations.add(new FieldViolation(field + ".temperature", "must be in (0, 10]"));
    }
    range(violations, field + ".baselineWindow", spec.baselineWindow(), 1, 1_000_000);
    if (spec.proposal() != null && !PROPOSALS.contains(spec.proposal())) {
      violations.add(new FieldViolation(field + ".proposal", "unknown proposal '" + spec.proposal() + "'; one of " + sorted(PROPOSALS)));
    }
    if (spec.prompts() != null && !PROMPT_SOURCES.contains(spec.prompts())) {
      violations.add(new FieldViolation(field + ".prompts", "unknown prompt source '" + spec.prompts() + "'; one of " + sorted(PROMPT_SOURCES)));
    } else if (spec.conditional() && spec.moments() != null) {
      violations.add(new FieldViolation(field + ".prompts", "moments need prompts 'none': lambda is fitted on unconditional samples"));
    }
    if (model != null && models.exists(model) && models.vocabularySize(model).isEmpty()) {
      violations.add(new FieldViolation("spec.model", "f_dpg samples text: '" + model + "' is not a language model"));
    }
  }

  private void validateRlvr(List<FieldViolation> violations, RlvrSpec spec, String model, String dataset) {
    String field = "spec.rlvr";
    if (spec == null) {
      // every field has a default: an absent block is the defaults
      spec = RlvrSpec.defaults();
    }
    range(violations, field + ".groupSize", spec.groupSize(), 2, 1024);
    range(violations, field + ".promptsPerStep", spec.promptsPerStep(), 1, 1024);
    range(violations, field + ".maxNewTokens", spec.maxNewTokens(), 1, 4096);
    if (spec.temperature() != null && !(spec.temperature() > 0 && spec.temperature() <= 10)) {
      violations.add(new FieldViolation(field + ".temperature", "must be in (0, 10]"));
    }
    if (spec.clipEpsilonLow() != null && !(spec.clipEpsilonLow() > 0 && spec.clipEpsilonLow() < 1)) {
      violations.add(new FieldViolation(field + ".clipEpsilonLow", "must be in (0, 1): the ratio is clipped below at 1 - epsilon"));
    }
    if (spec.clipEpsilonHigh() != null && !(spec.clipEpsilonHigh() > 0 && spec.clipEpsilonHigh() <= 10)) {
      violations.add(new FieldViolation(field + ".clipEpsilonHigh", "must be in (0, 10]"));
    }
    range(violations, field + ".updatesPerBatch", spec.updatesPerBatch(), 1, 64);
    if (spec.task() != null && !RlvrSpec.TASKS.contains(spec.task())) {
      violations.add(new FieldViolation(field + ".task", "unknown task '" + spec.task() + "'; one of " + RlvrSpec.TASKS));
    }
    if (spec.checker() != null) {
      if (!RlvrSpec.CHECKERS.contains(spec.checker())) {
        violations.add(new FieldViolation(field + ".checker", "unknown checker '" + spec.checker() + "'; one of " + RlvrSpec.CHECKERS));
      } else if (!RlvrSpec.TASK_DATASET.equals(spec.task()) && !RlvrSpec.CHECKER_INTEGER.equals(spec.checker())) {
        violations.add(new FieldViolation(field + ".checker", "the built-in tasks check integers: checker 'integer' or none"));
      }
    }
    validateAnswerFields(violations, spec, dataset);
    RlvrSpec.Regulariser regulariser = spec.regulariser();
    if (regulariser != null) {
      String r = field + ".regulariser";
      String kind = regulariser.kind() == null ? "none" : regulariser.kind();
      if (!RlvrSpec.Regulariser.KINDS.contains(kind)) {
        violations.add(new FieldViolation(r + ".kind", "unknown regulariser '" + kind + "'; one of " + RlvrSpec.Regulariser.KINDS));
      } else {
        if (regulariser.coefficient() != null && !(regulariser.coefficient() >= 0 && regulariser.coefficient() <= 1000)) {
          violations.add(new FieldViolation(r + ".coefficient", "must be in [0, 1000]"));
        }
        if (regulariser.coefficient() != null && kind.equals("none")) {
          violations.add(new FieldViolation(r + ".coefficient", "is not a parameter of regulariser none"));
        }
        if (regulariser.estimator() != null && !kind.equals("kl")) {
          violations.add(new FieldViolation(r + ".estimator", "is a parameter of regulariser kl only"));
        } else if (regulariser.estimator() != null && !RlvrSpec.Regulariser.ESTIMATORS.contains(regulariser.estimator())) {
          violations.add(new FieldViolation(r + ".estimator", "unknown KL estimator '" + regulariser.estimator() + "'; one of "
              + RlvrSpec.Regulariser.ESTIMATORS));
        }
        if (regulariser.divergence() != null && !kind.equals("rehearsal")) {
          violations.add(new FieldViolation(r + ".divergence", "is a parameter of regulariser rehearsal only"));
        } else if (regulariser.divergence() != null && !RlvrSpec.Regulariser.DIVERGENCES.contains(regulariser.divergence())) {
          violations.add(new FieldViolation(r + ".divergence", "unknown rehearsal divergence '" + regulariser.divergence() + "'; one of "
              + RlvrSpec.Regulariser.DIVERGENCES));
        }
        if (regulariser.alpha() != null && !"alpha".equals(regulariser.divergence())) {
          violations.add(new FieldViolation(r + ".alpha", "is a parameter of the rehearsal divergence alpha only"));
        } else if (regulariser.alpha() != null && !(regulariser.alpha() > 0 && regulariser.alpha() < 1)) {
          violations.add(new FieldViolation(r + ".alpha", "must be in (0, 1)"));
        }
        if (regulariser.referenceSamples() != null && !kind.equals("rehearsal")) {
          violations.add(new FieldViolation(r + ".referenceSamples", "is a parameter of regulariser rehearsal only"));
        } else {
          range(violations, r + ".referenceSamples", regulariser.referenceSamples(), 1, 256);
        }
      }
    }
    RlvrSpec.Evaluation evaluation = spec.evaluation();
    if (evaluation != null) {
      String e = field + ".evaluation";
      range(violations, e + ".prompts", evaluation.prompts(), 1, 10_000);
      range(violations, e + ".samples", evaluation.samples(), 1, 1024);
      range(violations, e + ".every", evaluation.every(), 1, 1_000_000);
      int samples = evaluation.samples() == null ? 8 : evaluation.samples();
      if (evaluation.k() != null && evaluation.k() < 1) {
        violations.add(new FieldViolation(e + ".k", "must be at least 1"));
      } else if (evaluation.k() != null && evaluation.k() > samples) {
        violations.add(new FieldViolation(e + ".k", "must be at most the samples per prompt (" + samples
            + "): pass@k needs k of the n answers"));
      }
    }
    if (model != null && models.exists(model) && models.vocabularySize(model).isEmpty()) {
      violations.add(new FieldViolation("spec.model", "rlvr samples text: '" + model + "' is not a language model"));
    }
  }

  /**
   * promptField and answerField name fields of a verifiable dataset's records (every record has
   * the first record's fields, checked on upload, so the first record decides).
   */
  private void validateAnswerFields(List<FieldViolation> violations, RlvrSpec spec, String dataset) {
    String field = "spec.rlvr";
    boolean fromDataset = RlvrSpec.TASK_DATASET.equals(spec.task());
    Optional<DatasetKind> kind = dataset == null ? Optional.empty() : datasets.kindOf(dataset);
    boolean verifiable = fromDataset && kind.filter(k -> k == DatasetKind.VERIFIABLE).isPresent();
    Map<String, String> names = new java.util.LinkedHashMap<>();
    names.put("promptField", spec.promptField());
    names.put("answerField", spec.answerField());
    names.forEach((name, value) -> {
      if (value == null) {
        return;
      }
      if (value.isBlank()) {
        violations.add(new FieldViolation(field + "." + name, "must name a field of the dataset's records"));
      } else if (!fromDataset) {
        violations.add(new FieldViolation(field + "." + name, "is for task 'dataset' with a verifiable dataset only"));
      } else if (kind.isPresent() && !verifiable) {
        violations.add(new FieldViolation(field + "." + name, "is for verifiable datasets only; dataset '" + dataset
            + "' holds " + kind.get().apiName() + " records (prompt and completion)"));
      }
    });
    if (!verifiable) {
      return;
    }
    String prompt = spec.promptFieldOrDefault();
    String answer = spec.answerFieldOrDefault();
    Optional<Set<String>> fields = datasets.verifiableFields(dataset);
    if (fields.isEmpty()) {
      return;
    }
    List<String> sorted = fields.get().stream().sorted().toList();
    if (!prompt.isBlank() && !fields.get().contains(prompt)) {
      violations.add(new FieldViolation(field + ".promptField", "dataset '" + dataset + "' records have no field '" + prompt
          + "'; their fields: " + sorted));
    }
    if (!answer.isBlank() && !fields.get().contains(answer)) {
      violations.add(new FieldViolation(field + ".answerField", "dataset '" + dataset + "' records have no field '" + answer
          + "'; their fields: " + sorted));
    } else if (answer.equals(prompt)) {
      violations.add(new FieldViolation(field + ".answerField", "must differ from promptField"));
    }
  }

  private static void validateFeature(List<FieldViolation> violations, String field, FDpgSpec.Feature feature) {
    if (feature == null) {
      violations.add(new FieldViolation(field, "is required: {\"name\": one of " + FDpgSpec.Feature.NAMES + ", ...}"));
      return;
    }
    String name = feature.name();
    if (name == null || name.isBlank()) {
      violations.add(new FieldViolation(field + ".name", "is required; one of " + FDpgSpec.Feature.NAMES));
      return;
    }
    if (!FDpgSpec.Feature.NAMES.contains(name)) {
      violations.add(new FieldViolation(field + ".name", "unknown constraint '" + name + "'; one of " + FDpgSpec.Feature.NAMES));
      return;
    }
    if (feature.text() != null && !name.equals("contains")) {
      violations.add(new FieldViolation(field + ".text", "is not a parameter of " + name));
    }
    if (feature.maxTokens() != null && !name.equals("max_tokens")) {
      violations.add(new FieldViolation(field + ".maxTokens", "is not a parameter of " + name));
    }
    if (feature.regex() != null && !name.equals("regex")) {
      violations.add(new FieldViolation(field + ".regex", "is not a parameter of " + name));
    }
    switch (name) {
      case "contains" -> {
        if (feature.text() == null || feature.text().isEmpty()) {
          violations.add(new FieldViolation(field + ".text", "is required for contains: the text that must occur"));
        } else if (feature.text().length() > 1000) {
          violations.add(new FieldViolation(field + ".text", "must be at most 1000 characters"));
        }
      }
      case "max_tokens" -> {
        if (feature.maxTokens() == null) {
          violations.add(new FieldViolation(field + ".maxTokens", "is required for max_tokens"));
        } else {
          range(violations, field + ".maxTokens", feature.maxTokens(), 0, 4096);
        }
      }
      case "regex" -> {
        if (feature.regex() == null || feature.regex().isEmpty()) {
          violations.add(new FieldViolation(field + ".regex", "is required for regex: a Java regular expression"));
        } else if (feature.regex().length() > 1000) {
          violations.add(new FieldViolation(field + ".regex", "must be at most 1000 characters"));
        } else {
          try {
            java.util.regex.Pattern.compile(feature.regex());
          } catch (java.util.regex.PatternSyntaxException e) {
            violations.add(new FieldViolation(field + ".regex", "does not compile: " + e.getDescription() + " near index " + e.getIndex()));
          }
        }
      }
      default -> { }
    }
  }

  private static void validateDivergence(
      List<FieldViolation> violations, String field, Algorithm algorithm, DivergenceChoice divergence) {
    if (divergence == null || divergence.name() == null || divergence.name().isBlank()) {
      violations.add(new FieldViolation(field + ".name", "is required; one of " + sorted(DIVERGENCES.get(algorithm))));
      return;
    }
    String name = divergence.name();
    if (!DIVERGENCES.get(algorithm).contains(name)) {
      violations.add(new FieldViolation(field + ".name",
          "unknown divergence '" + name + "' for " + algorithm.apiName() + "; one of " + sorted(DIVERGENCES.get(algorithm))));
      return;
    }
    boolean takesAlpha = Set.of("alpha", "skew_kl", "skew_reverse_kl", "akl").contains(name);
    boolean takesBeta = name.equals("jsd");
    if (divergence.alpha() != null && !takesAlpha) {
      violations.add(new FieldViolation(field + ".alpha", "is not a parameter of " + name));
    }
    if (divergence.beta() != null && !takesBeta) {
      violations.add(new FieldViolation(field + ".beta", "is not a parameter of " + name));
    }
    if (divergence.alpha() != null && takesAlpha) {
      boolean open = name.equals("alpha");
      double a = divergence.alpha();
      boolean skew = name.startsWith("skew_");
      if (!Double.isFinite(a) || (open ? !(a > 0 && a < 1) : !(a >= 0 && a <= 1))) {
        violations.add(new FieldViolation(field + ".alpha", open ? "must be in (0, 1): the registry's Amari alpha (0 = kl, 1 = reverse_kl; the f-DPO paper's alpha is 1 - this)" : "must be in [0, 1]"));
      } else if (skew && a == 1) {
        // the skewed mixture is then the distribution itself: the loss is 0 for every student and nothing trains
        violations.add(new FieldViolation(field + ".alpha", "must be in [0, 1) for " + name + ": at 1 the loss is 0 for every student"));
      }
    }
    if (divergence.beta() != null && !(divergence.beta() >= 0 && divergence.beta() <= 1)) {
      violations.add(new FieldViolation(field + ".beta", "must be in [0, 1] (0 = forward KL, 1 = reverse KL)"));
    }
  }

  private static void validateBudget(List<FieldViolation> violations, Budget budget) {
    if (budget == null) {
      violations.add(new FieldViolation("spec.budget", "is required (at least budget.maxSteps)"));
      return;
    }
    if (budget.maxSteps() == null) {
      violations.add(new FieldViolation("spec.budget.maxSteps", "is required"));
    } else if (budget.maxSteps() <= 0 || budget.maxSteps() > 10_000_000) {
      violations.add(new FieldViolation("spec.budget.maxSteps", "must be between 1 and 10000000"));
    }
    range(violations, "spec.budget.batchSize", budget.batchSize(), 1, 65_536);
    positive(violations, "spec.budget.learningRate", budget.learningRate());
    range(violations, "spec.budget.warmupSteps", budget.warmupSteps(), 0, Integer.MAX_VALUE);
    range(violations, "spec.budget.checkpointEvery", budget.checkpointEvery(), 1, Integer.MAX_VALUE);
    range(violations, "spec.budget.gradientAccumulation", budget.gradientAccumulation(), 1, 1024);
    range(violations, "spec.budget.logEvery", budget.logEvery(), 1, Integer.MAX_VALUE);
    if (budget.maxGradNorm() != null && !(budget.maxGradNorm() >= 0)) {
      violations.add(new FieldViolation("spec.budget.maxGradNorm", "must be 0 (no clipping) or positive"));
    }
    if (budget.schedule() != null && !SCHEDULES.contains(budget.schedule())) {
      violations.add(new FieldViolation("spec.budget.schedule", "unknown schedule '" + budget.schedule() + "'; one of " + sorted(SCHEDULES)));
    }
  }

  private void requireModel(List<FieldViolation> violations, String field, String reference) {
    if (reference == null || reference.isBlank()) {
      violations.add(new FieldViolation(field, "is required"));
    } else if (!models.exists(reference)) {
      violations.add(new FieldViolation(field, "no model '" + reference + "'; see GET /api/v1/training/models"));
    }
  }

  private static void positive(List<FieldViolation> violations, String field, Double value) {
    if (value != null && !(value > 0 && Double.isFinite(value))) {
      violations.add(new FieldViolation(field, "must be a positive number"));
    }
  }

  private static void unitInterval(List<FieldViolation> violations, String field, Double value) {
    if (value != null && !(value >= 0 && value <= 1)) {
      violations.add(new FieldViolation(field, "must be in [0, 1]"));
    }
  }

  private static void range(List<FieldViolation> violations, String field, Integer value, int min, int max) {
    if (value != null && (value < min || value > max)) {
      violations.add(new FieldViolation(field, "must be between " + min + " and " + max));
    }
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
