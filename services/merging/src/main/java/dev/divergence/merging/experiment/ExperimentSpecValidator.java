package dev.divergence.merging.experiment;

import dev.divergence.merging.domain.ConfidenceInterpolation;
import dev.divergence.merging.domain.DaWin;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.domain.OutputEnsemble;
import dev.divergence.merging.domain.SingleModel;
import dev.divergence.merging.domain.T3;
import dev.divergence.merging.domain.T3Batch;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.merging.models.ModelResolver;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Checks an experiment's spec and fills in its defaults; every rejection names its field under
 * {@code spec.} (e.g. {@code spec.methods[2]}, {@code spec.splits[0].name}, {@code spec.seeds}).
 */
@Component
public class ExperimentSpecValidator {

  /** The WiSE-FT alpha sweep (0, 0.1, ..., 1) reported at its most accurate alpha on each split. */
  public static final String WISE_FT_SWEEP = "wise_ft_sweep";
  public static final List<String> DEFAULT_METHODS = List.of(T3.NAME, T3Batch.NAME, SingleModel.GENERALIST, SingleModel.EXPERT,
      OutputEnsemble.NAME, WISE_FT_SWEEP, DaWin.NAME, ConfidenceInterpolation.NAME);
  public static final int DEFAULT_SEEDS = 5;
  public static final int MAX_SEEDS = 50;
  public static final int DEFAULT_BATCH = ModelPair.DEFAULT_EVALUATION_BATCH;
  public static final int MAX_SPLITS = 16;

  private final MergeService merges;
  private final ModelResolver models;
  private final int maxRows;

  public ExperimentSpecValidator(MergeService merges, ModelResolver models, dev.divergence.merging.config.MergingProperties properties) {
    this.merges = merges;
    this.models = models;
    this.maxRows = properties.maxBatch();
  }

  public static List<String> knownMethods() {
    List<String> known = new ArrayList<>(MergeMethods.NAMES);
    known.add(WISE_FT_SWEEP);
    return known;
  }

  /**
   * The spec with every default filled in; loads (or first builds) the pair to check it is compatible,
   * unless the background preparation still has one of them (then the execution checks it).
   */
  public ExperimentSpec validate(ExperimentSpec spec) {
    if (spec == null) {
      throw new InvalidArgumentException("spec", "is required");
    }
    // cheap checks first, so that bad input never loads a model
    int seeds = spec.seeds() == null ? DEFAULT_SEEDS : spec.seeds();
    if (seeds < 1 || seeds > MAX_SEEDS) {
      throw new InvalidArgumentException("spec.seeds", "must be in [1, " + MAX_SEEDS + "], got " + seeds);
    }
    int batchSize = spec.batchSize() == null ? DEFAULT_BATCH : spec.batchSize();
    if (batchSize < 1 || batchSize > maxRows) {
      throw new InvalidArgumentException("spec.batchSize", "must be in [1, " + maxRows + "], got " + batchSize);
    }
    List<String> methods = methods(spec.methods());
    String generalist;
    String expert;
    String method;
    Map<String, Object> parameters;
    String mergeId = blankToNull(spec.mergeId());
    if (mergeId != null) {
      for (String[] other : new String[][] {{"generalist", spec.generalist()}, {"expert", spec.expert()}, {"method", spec.method()}}) {
        if (blankToNull(other[1]) != null) {
          throw new InvalidArgumentException("spec." + other[0], "must be empty when spec.mergeId names a merge (the merge has its own)");
        }
      }
      if (spec.parameters() != null && !spec.parameters().isEmpty()) {
        throw new InvalidArgumentException("spec.parameters", "must be empty when spec.mergeId names a merge (the merge has its own)");
      }
      MergeService.Merge merge;
      try {
        merge = merges.get(mergeId);
      } catch (NotFoundException e) {
        throw new InvalidArgumentException("spec.mergeId", "no merge '" + mergeId + "' of this tenant");
      } catch (InvalidArgumentException e) {
        throw new InvalidArgumentException("spec.mergeId", "must be a merge id (a UUID), got '" + mergeId + "'");
      }
      generalist = merge.record().generalist();
      expert = merge.record().expert();
      method = merge.record().method();
      parameters = merge.method().parameters();
    } else {
      generalist = spec.generalist();
      expert = spec.expert();
      ModelResolver.parse("spec.generalist", generalist);
      ModelResolver.parse("spec.expert", expert);
      method = spec.method() == null ? T3.NAME : spec.method();
      parameters = prefixed(() -> MergeMethods.create(method, spec.parameters())).parameters();
    }
    // null: the defaults of the pair's input width, chosen below
    List<ExperimentSpec.Split> splits = spec.splits() == null ? null : splits(spec.splits());
    if (mergeId == null) {
      // models of the registry are pinned to their version now (name:version), as a merge pins them
      generalist = models.pin("spec.generalist", generalist);
      expert = models.pin("spec.expert", expert);
    }
    // a model still being prepared in the background cannot be checked yet: the experiment is queued
    // and its execution, once the pair is ready, runs the same checks (a failure ends it FAILED, invalid-input)
    if (!models.isPreparing(generalist) && !models.isPreparing(expert)) {
      try (ModelResolver.Pair pair = models.acquirePair("spec.generalist", generalist, "spec.expert", expert)) {
        if (splits == null) {
          splits = defaultSplits(pair.generalist().classifier().spec().inputDim());
        }
        checkAgainstModels(pair.generalist().classifier(), pair.expert().classifier(), splits);
      }
    } else if (splits == null) {
      // only built-ins are prepared in the background, and a built-in's name says its data set
      splits = defaultSplits(Splits.builtInModelWidth(generalist));
    }
    if (!methods.contains(method)) {
      // the merge's own method is always compared
      methods.add(0, method);
    }
    return new ExperimentSpec(mergeId, generalist, expert, method, new LinkedHashMap<>(parameters), methods, splits, seeds, batchSize);
  }

  /** The checks that need the loaded pair: one architecture, and splits that fit the models' width and classes. */
  static void checkAgainstModels(Classifier generalist, Classifier expert, List<ExperimentSpec.Split> splits) {
    prefixed(() -> {
      ModelPair.requireCompatible(generalist, expert);
      return null;
    });
    int width = generalist.spec().inputDim();
    int classes = generalist.spec().numClasses();
    for (int i = 0; i < splits.size(); i++) {
      ExperimentSpec.Split split = splits.get(i);
      if (!split.inline() && width != Splits.width(split.name())) {
        throw new InvalidArgumentException("spec.splits[" + i + "].name", "built-in split '" + split.name() + "' has "
            + Splits.width(split.name()) + " features, the models take " + width + "; built-in splits of that width: "
            + Splits.builtInNames().stream().filter(name -> Splits.width(name) == width).toList());
      }
      if (!split.inline()) {
        int splitClasses = java.util.Arrays.stream(Splits.base(split).labels()).max().orElse(-1) + 1;
        if (splitClasses > classes) {
          throw new InvalidArgumentException("spec.splits[" + i + "].name", "built-in split '" + split.name() + "' has labels up to "
              + (splitClasses - 1) + ", the models have " + classes + " classes");
        }
      }
      if (split.inline()) {
        checkInline(i, split, width, classes);
      }
    }
  }

  private static List<String> methods(List<String> given) {
    if (given == null) {
      return new ArrayList<>(DEFAULT_METHODS);
    }
    if (given.isEmpty()) {
      throw new InvalidArgumentException("spec.methods", "must name at least one method; one of " + knownMethods());
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < given.size(); i++) {
      String name = given.get(i);
      if (!knownMethods().contains(name)) {
        throw new InvalidArgumentException("spec.methods[" + i + "]", "unknown method '" + name + "'; one of " + knownMethods());
      }
      if (!seen.add(name)) {
        throw new InvalidArgumentException("spec.methods[" + i + "]", "'" + name + "' is listed twice");
      }
    }
    return new ArrayList<>(given);
  }

  /** The built-in splits of {@link Splits#defaults} for models of input width {@code width}. */
  private static List<ExperimentSpec.Split> defaultSplits(int width) {
    List<String> names = Splits.defaults(width);
    if (names.isEmpty()) {
      throw new InvalidArgumentException("spec.splits", "no built-in split has the models' input width " + width
          + " (digits 64, breast-cancer 30): give inline splits");
    }
    return names.stream().map(name -> new ExperimentSpec.Split(name, null, null)).toList();
  }

  private List<ExperimentSpec.Split> splits(List<ExperimentSpec.Split> given) {
    if (given.isEmpty()) {
      throw new InvalidArgumentException("spec.splits", "must name at least one split; built-in: " + Splits.builtInNames());
    }
    if (given.size() > MAX_SPLITS) {
      throw new InvalidArgumentException("spec.splits", "at most " + MAX_SPLITS + " splits, got " + given.size());
    }
    Set<String> seen = new HashSet<>();
    long rows = 0;
    List<ExperimentSpec.Split> out = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      ExperimentSpec.Split split = given.get(i);
      String field = "spec.splits[" + i + "]";
      if (split == null || split.name() == null || split.name().isBlank()) {
        throw new InvalidArgumentException(field + ".name", "is required; built-in: " + Splits.builtInNames());
      }
      if (!seen.add(split.name())) {
        throw new InvalidArgumentException(field + ".name", "'" + split.name() + "' is listed twice");
      }
      if (split.inputs() == null && split.labels() != null) {
        throw new InvalidArgumentException(field + ".inputs", "is required with labels");
      }
      if (!split.inline() && !Splits.isBuiltIn(split.name())) {
        throw new InvalidArgumentException(field + ".name", "unknown split '" + split.name() + "'; built-in: " + Splits.builtInNames()
            + ", or give inputs and labels");
      }
      if (split.inline() && Splits.isBuiltIn(split.name())) {
        throw new InvalidArgumentException(field + ".name", "'" + split.name() + "' is a built-in split; name inline rows otherwise");
      }
      if (split.inline()) {
        rows += split.inputs().length;
        if (rows > maxRows) {
          throw new InvalidArgumentException(field + ".inputs", "inline splits carry at most " + maxRows + " rows in all");
        }
      }
      out.add(split);
    }
    return out;
  }

  private static void checkInline(int index, ExperimentSpec.Split split, int width, int classes) {
    String field = "spec.splits[" + index + "]";
    float[][] inputs = split.inputs();
    if (inputs.length == 0) {
      throw new InvalidArgumentException(field + ".inputs", "must have at least one row");
    }
    for (int r = 0; r < inputs.length; r++) {
      if (inputs[r] == null || inputs[r].length != width) {
        throw new InvalidArgumentException(field + ".inputs[" + r + "]", "must have " + width + " values, got "
            + (inputs[r] == null ? 0 : inputs[r].length));
      }
      for (int c = 0; c < width; c++) {
        if (!Float.isFinite(inputs[r][c])) {
          throw new InvalidArgumentException(field + ".inputs[" + r + "][" + c + "]", "must be finite, got " + inputs[r][c]);
        }
      }
    }
    int[] labels = split.labels();
    if (labels == null || labels.length != inputs.length) {
      throw new InvalidArgumentException(field + ".labels", "has " + (labels == null ? 0 : labels.length) + " entries for "
          + inputs.length + " inputs");
    }
    for (int r = 0; r < labels.length; r++) {
      if (labels[r] < 0 || labels[r] >= classes) {
        throw new InvalidArgumentException(field + ".labels[" + r + "]", "must be a class in [0, " + classes + "), got " + labels[r]);
      }
    }
  }

  /** Runs a create-merge check, naming its fields under {@code spec.} as an experiment's spec holds them. */
  private static <T> T prefixed(Supplier<T> check) {
    try {
      return check.get();
    } catch (InvalidArgumentException e) {
      throw new InvalidArgumentException(e.violations().stream()
          .map(v -> new FieldViolation("spec." + v.field(), v.message())).toList());
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
