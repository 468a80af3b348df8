package dev.divergence.evaluation.run;

import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.RunSpec.PromptSource;
import dev.divergence.evaluation.run.RunSpec.Sampling;
import dev.divergence.evaluation.run.RunSpec.Strategy;
import dev.divergence.evaluation.run.inputs.BuiltInPromptSets;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a run spec field by field (every violation names its field and the first offending index)
 * and returns it with every default filled in. Whether the model and dataset exist is checked by
 * the caller against the services that own them.
 */
public final class RunSpecValidator {

  public static final int MAX_PROMPTS = 10_000;
  public static final int MAX_SAMPLES = 256;
  public static final int MAX_TOKENS = 512;
  public static final int DEFAULT_SAMPLES = 8;
  public static final int DEFAULT_MAX_TOKENS = 16;
  public static final List<String> DEFAULT_DIVERGENCES = List.of("kl", "reverse_kl", "js", "tv");
  static final Set<String> STRATEGIES = Set.of("greedy", "sample", "cad", "adacad", "uscd");
  static final List<String> DEFAULT_STRATEGIES = List.of("greedy", "cad", "adacad");

  private RunSpecValidator() {
  }

  public static RunSpec validate(RunSpec spec) {
    List<FieldViolation> violations = new ArrayList<>();
    if (spec == null) {
      throw new InvalidArgumentException("spec", "is required");
    }
    if (blank(spec.model())) {
      violations.add(new FieldViolation("spec.model", "is required"));
    }
    List<String> suites = suites(spec.suites(), violations);
    boolean languageSuites = suites.stream().anyMatch(s -> Suite.byApiName(s).map(Suite::needsLanguageModel).orElse(false));
    boolean classifier = suites.contains(Suite.CLASSIFIER.apiName());
    if (languageSuites && classifier) {
      violations.add(new FieldViolation("spec.suites", "classifier cannot be combined with language-model suites in one run"));
    }
    String reference = blank(spec.referenceModel()) ? null : spec.referenceModel().strip();
    if (suites.contains(Suite.MODEL_DIVERGENCE.apiName()) && reference == null) {
      violations.add(new FieldViolation("spec.referenceModel", "is required by the model_divergence suite"));
    }
    PromptSource prompts = prompts(spec.prompts(), suites, classifier, violations);
    Sampling sampling = sampling(spec.sampling(), violations);
    List<Integer> passAtK = passAtK(spec.passAtK(), sampling.samples(), violations);
    List<String> divergences = divergences(spec.divergences(), violations);
    List<Strategy> strategies = strategies(spec.strategies(), violations);
    double level = spec.confidenceLevel() == null ? 0.95 : spec.confidenceLevel();
    if (!(level > 0 && level < 1)) {
      violations.add(new FieldViolation("spec.confidenceLevel", "must be in (0, 1), got " + spec.confidenceLevel()));
    }
    int bins = spec.bins() == null ? 15 : spec.bins();
    if (bins < 1 || bins > 1000) {
      violations.add(new FieldViolation("spec.bins", "must be in [1, 1000], got " + spec.bins()));
    }
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
    return new RunSpec(spec.model().strip(), reference, suites, prompts, sampling, divergences, passAtK, strategies, level, bins);
  }

  private static List<String> suites(List<String> requested, List<FieldViolation> violations) {
    if (requested == null || requested.isEmpty()) {
      violations.add(new FieldViolation("spec.suites", "name at least one of " + suiteNames()));
      return List.of();
    }
    Set<String> suites = new LinkedHashSet<>();
    for (int i = 0; i < requested.size(); i++) {
      String name = requested.get(i);
      if (name == null || Suite.byApiName(name).isEmpty()) {
        violations.add(new FieldViolation("spec.suites[" + i + "]", "unknown suite '" + name + "'; known: " + suiteNames()));
        return List.of();
      }
      suites.add(name);
    }
    return List.copyOf(suites);
  }

  private static PromptSource prompts(PromptSource source, List<String> suites, boolean classifier,
      List<FieldViolation> violations) {
    if (source == null) {
      violations.add(new FieldViolation("spec.prompts", classifier ? "name a classification dataset" : "is required"));
      return null;
    }
    int given = (blank(source.builtIn()) ? 0 : 1) + (blank(source.dataset()) ? 0 : 1)
        + (source.items() == null ? 0 : 1);
    if (given != 1) {
      violations.add(new FieldViolation("spec.prompts", "give exactly one of builtIn, dataset or items"));
      return source;
    }
    Integer limit = source.limit();
    if (limit != null && (limit < 1 || limit > MAX_PROMPTS)) {
      violations.add(new FieldViolation("spec.prompts.limit", "must be in [1, " + MAX_PROMPTS + "], got " + limit));
    }
    String split = blank(source.split()) ? null : source.split();
    if (split != null && !split.equals("train") && !split.equals("test")) {
      violations.add(new FieldViolation("spec.prompts.split", "must be train or test, got '" + split + "'"));
    }
    if (classifier && blank(source.dataset())) {
      violations.add(new FieldViolation("spec.prompts.dataset", "the classifier suite reads a classification dataset"));
    }
    if (!blank(source.builtIn())) {
      var set = BuiltInPromptSets.find(source.builtIn());
      if (set.isEmpty()) {
        violations.add(new FieldViolation("spec.prompts.builtIn",
            "unknown prompt set '" + source.builtIn() + "'; built-in: " + BuiltInPromptSets.names()));
      } else {
        for (String suite : suites) {
          if (!set.get().supports(suite)) {
            violations.add(new FieldViolation("spec.prompts.builtIn", "'" + source.builtIn() + "' has no " + set.get()
                .missingFor(suite) + " for the " + suite + " suite"));
          }
        }
      }
      return new PromptSource(source.builtIn(), null, null, null, limit == null ? BuiltInPromptSets.DEFAULT_SIZE : limit,
          source.seed() == null ? 1L : source.seed());
    }
    if (source.items() != null) {
      items(source.items(), suites, violations);
      return new PromptSource(null, null, null, List.copyOf(source.items()), limit, null);
    }
    return new PromptSource(null, source.dataset().strip(), split, null, limit, null);
  }

  private static void items(List<PromptItem> items, List<String> suites, List<FieldViolation> violations) {
    if (items.isEmpty()) {
      violations.add(new FieldViolation("spec.prompts.items", "is empty: give at least one prompt"));
      return;
    }
    if (items.size() > MAX_PROMPTS) {
      violations.add(new FieldViolation("spec.prompts.items", "holds " + items.size() + " prompts; at most " + MAX_PROMPTS));
      return;
    }
    boolean rewards = suites.contains(Suite.REWARDS.apiName());
    boolean decoding = suites.contains(Suite.DECODING.apiName());
    for (int i = 0; i < items.size(); i++) {
      PromptItem item = items.get(i);
      String at = "spec.prompts.items[" + i + "]";
      if (item == null || blank(item.prompt())) {
        violations.add(new FieldViolation(at + ".prompt", "is required"));
        return;
      }
      if (rewards && blank(item.answer())) {
        violations.add(new FieldViolation(at + ".answer", "is required by the rewards suite (the verifiable answer)"));
        return;
      }
      if (decoding && (blank(item.context()) || blank(item.answer()))) {
        violations.add(new FieldViolation(at + (blank(item.context()) ? ".context" : ".answer"),
            "is required by the decoding suite (the context and the answer it implies)"));
        return;
      }
    }
  }

  private static Sampling sampling(Sampling sampling, List<FieldViolation> violations) {
    Sampling s = sampling == null ? new Sampling(null, null, null, null, null, null) : sampling;
    int samples = s.samples() == null ? DEFAULT_SAMPLES : s.samples();
    if (samples < 1 || samples > MAX_SAMPLES) {
      violations.add(new FieldViolation("spec.sampling.samples", "must be in [1, " + MAX_SAMPLES + "], got " + samples));
    }
    double temperature = s.temperature() == null ? 1.0 : s.temperature();
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      violations.add(new FieldViolation("spec.sampling.temperature", "must be a finite number >= 0, got " + s.temperature()));
    }
    int topK = s.topK() == null ? 0 : s.topK();
    if (topK < 0) {
      violations.add(new FieldViolation("spec.sampling.topK", "must be >= 0 (0: no cut), got " + topK));
    }
    double topP = s.topP() == null ? 1.0 : s.topP();
    if (!(topP > 0 && topP <= 1)) {
      violations.add(new FieldViolation("spec.sampling.topP", "must be in (0, 1], got " + s.topP()));
    }
    int maxTokens = s.maxTokens() == null ? DEFAULT_MAX_TOKENS : s.maxTokens();
    if (maxTokens < 1 || maxTokens > MAX_TOKENS) {
      violations.add(new FieldViolation("spec.sampling.maxTokens", "must be in [1, " + MAX_TOKENS + "], got " + maxTokens));
    }
    return new Sampling(samples, temperature, topK, topP, maxTokens, s.seed() == null ? 0L : s.seed());
  }

  private static List<Integer> passAtK(List<Integer> ks, Integer samples, List<FieldViolation> violations) {
    int n = samples == null ? DEFAULT_SAMPLES : samples;
    if (ks == null || ks.isEmpty()) {
      List<Integer> defaults = new ArrayList<>();
      for (int k = 1; k <= n; k *= 2) {
        defaults.add(k);
      }
      return defaults;
    }
    for (int i = 0; i < ks.size(); i++) {
      Integer k = ks.get(i);
      if (k == null || k < 1) {
        violations.add(new FieldViolation("spec.passAtK[" + i + "]", "must be >= 1, got " + k));
        return ks;
      }
      if (k > n) {
        violations.add(new FieldViolation("spec.passAtK[" + i + "]",
            "k = " + k + " exceeds the samples per prompt (n = " + n + "); pass@k needs n >= k"));
        return ks;
      }
    }
    return List.copyOf(new LinkedHashSet<>(ks));
  }

  private static List<String> divergences(List<String> names, List<FieldViolation> violations) {
    if (names == null || names.isEmpty()) {
      return DEFAULT_DIVERGENCES;
    }
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      try {
        DivergenceRegistry.create(name);
      } catch (RuntimeException e) {
        violations.add(new FieldViolation("spec.divergences[" + i + "]", name == null || !DivergenceRegistry.names().contains(name)
            ? "unknown divergence '" + name + "'; known: " + DivergenceRegistry.names()
            : "'" + name + "' needs parameters, which runs do not take; use the Metrics API for it"));
        return names;
      }
    }
    return List.copyOf(new LinkedHashSet<>(names));
  }

  private static List<Strategy> strategies(List<Strategy> strategies, List<FieldViolation> violations) {
    if (strategies == null || strategies.isEmpty()) {
      return DEFAULT_STRATEGIES.stream().map(name -> new Strategy(name, null, null, null, null, null)).toList();
    }
    for (int i = 0; i < strategies.size(); i++) {
      Strategy strategy = strategies.get(i);
      if (strategy == null || strategy.name() == null || !STRATEGIES.contains(strategy.name())) {
        violations.add(new FieldViolation("spec.strategies[" + i + "].name",
            "unknown strategy '" + (strategy == null ? null : strategy.name()) + "'; known: " + STRATEGIES));
        return strategies;
      }
    }
    return List.copyOf(strategies);
  }

  private static List<String> suiteNames() {
    return java.util.Arrays.stream(Suite.values()).map(Suite::apiName).toList();
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
