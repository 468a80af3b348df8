package dev.divergence.merging.experiment;

import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.variants.DatasetVariants;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The labelled data an experiment evaluates on, one draw per seed. A built-in split IS a registered
 * dataset of the training service, by the same name: {@code digits}, {@code breast-cancer} and their
 * variants (libs/model's {@link DatasetVariants}: {@code digits-base}, {@code digits-novel},
 * {@code digits-<noise|blur|occlusion|contrast>-<s>}, {@code breast-cancer-<noise|scale|missing>-<s>},
 * s = 1..5). The split evaluated is that dataset's {@code test} part: the rows the built-in models never
 * trained on, shifted or restricted as the variant says, the very rows training and evaluation read.
 *
 * <p>The data is fixed (each variant's corruption is drawn once from its own seed), so a seed only draws
 * a bootstrap resample of the split's rows (n with replacement). Every method of one seed sees the very
 * same rows, so comparisons between methods are paired.
 */
public final class Splits {

  public static final String DIGITS = DatasetVariants.DIGITS;
  public static final String BREAST_CANCER = DatasetVariants.BREAST_CANCER;
  /** The default splits of a digits pair (input width 64): in-domain, base and novel classes, two corruptions at severity 3. */
  public static final List<String> DIGITS_DEFAULTS = List.of(DIGITS, DatasetVariants.DIGITS_BASE, DatasetVariants.DIGITS_NOVEL,
      "digits-noise-3", "digits-blur-3");
  /** The default splits of a breast-cancer pair (input width 30): in-domain and the three measurement shifts at severity 3. */
  public static final List<String> CANCER_DEFAULTS = List.of(BREAST_CANCER, "breast-cancer-noise-3", "breast-cancer-scale-3",
      "breast-cancer-missing-3");
  public static final String SEED_USE = "the splits are registered datasets whose shifts are fixed (drawn once from each variant's"
      + " own seed, the same rows training and evaluation read), so seed k only draws a bootstrap resample of each split's test rows;"
      + " all methods of one seed see the same rows";

  private static final long SEED_BASE = 0x5EED_0000L;
  /** Test parts by name: the variants are deterministic, so each is made once per process. */
  private static final Map<String, LabeledData> TEST_PARTS = new ConcurrentHashMap<>();

  private Splits() {
  }

  /** Every built-in split: the registered datasets digits, breast-cancer and their variants. */
  public static List<String> builtInNames() {
    return DatasetVariants.knownNames();
  }

  public static boolean isBuiltIn(String name) {
    return DatasetVariants.isKnown(name);
  }

  /** The number of features of a built-in split's rows (64 for digits, 30 for breast cancer). */
  public static int width(String name) {
    return DatasetVariants.width(name);
  }

  /** The built-in splits evaluated when an experiment names none, for models of input width {@code width}; empty if none fits. */
  public static List<String> defaults(int width) {
    if (width == DatasetVariants.width(DIGITS)) {
      return DIGITS_DEFAULTS;
    }
    if (width == DatasetVariants.width(BREAST_CANCER)) {
      return CANCER_DEFAULTS;
    }
    return List.of();
  }

  /**
   * The input width of a built-in model from its name (its data set is its name's prefix); -1 for
   * another name. Lets defaults be chosen while a built-in is still being prepared.
   */
  public static int builtInModelWidth(String model) {
    for (String source : DatasetVariants.SOURCES) {
      if (model != null && model.startsWith(source + "-")) {
        return DatasetVariants.width(source);
      }
    }
    return -1;
  }

  /** The split's rows before any seed is applied: inline rows, or the registered dataset's test part. */
  public static LabeledData base(ExperimentSpec.Split split) {
    if (split.inline()) {
      return new LabeledData(split.inputs(), split.labels(), List.of());
    }
    return TEST_PARTS.computeIfAbsent(split.name(), name -> DatasetVariants.load(name).test());
  }

  /** Seed {@code seed}'s draw of the split: a bootstrap resample of its rows (the row arrays are shared, not copied). */
  public static LabeledData draw(ExperimentSpec.Split split, LabeledData base, int seed) {
    SplittableRandom random = new SplittableRandom(SEED_BASE + seed);
    int n = base.size();
    float[][] features = new float[n][];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int row = random.nextInt(n);
      features[i] = base.features()[row];
      labels[i] = base.labels()[row];
    }
    return new LabeledData(features, labels, base.classNames());
  }
}
