package dev.divergence.merging.experiment;

import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The labelled data an experiment evaluates on, one draw per seed. Built-in splits come from the
 * bundled digits data: the held-out 20% the built-in digits models never trained on
 * ({@code digits-test}), its classes 0-4 that the expert was fine-tuned on ({@code digits-base}),
 * its classes 5-9 ({@code digits-novel}), and {@code digits-noise-<s>} for severity s in 1..5:
 * the test images with Gaussian pixel noise of standard deviation 0.1 s, clipped to [0, 1].
 *
 * <p>The models and the held-out split are fixed, so evaluating a split is deterministic; a seed
 * therefore draws a bootstrap resample of the split's samples (n with replacement), and for the
 * noise splits also the noise. Every method of one seed sees the very same rows, so comparisons
 * between methods are paired.
 */
public final class Splits {

  public static final String TEST = "digits-test";
  public static final String BASE = "digits-base";
  public static final String NOVEL = "digits-novel";
  public static final String NOISE_PREFIX = "digits-noise-";
  public static final int MAX_SEVERITY = 5;
  public static final double NOISE_STD_PER_SEVERITY = 0.1;
  /** The input width of the digits splits (8 x 8 pixels). */
  public static final int DIGITS_WIDTH = 64;
  public static final List<String> DEFAULTS = List.of(TEST, BASE, NOVEL, NOISE_PREFIX + 3);
  public static final String SEED_USE = "the data path is deterministic (fixed models and held-out split), so seed k draws a bootstrap"
      + " resample of each split's samples and, for digits-noise-<s>, the noise; all methods of one seed see the same rows";

  /** The seed of libs/model's digits split (TinyAssets trains the built-in digits models on its first 80%). */
  private static final long DIGITS_SPLIT_SEED = 20251126L;
  private static final long SEED_BASE = 0x5EED_0000L;

  private Splits() {
  }

  public static List<String> builtInNames() {
    List<String> names = new ArrayList<>(List.of(TEST, BASE, NOVEL));
    for (int s = 1; s <= MAX_SEVERITY; s++) {
      names.add(NOISE_PREFIX + s);
    }
    return names;
  }

  public static boolean isBuiltIn(String name) {
    return builtInNames().contains(name);
  }

  private static LabeledData heldOutDigits() {
    return Datasets.digits().split(TinyAssets.TRAIN_FRACTION, DIGITS_SPLIT_SEED)[1];
  }

  /** The split's rows before any seed is applied. */
  public static LabeledData base(ExperimentSpec.Split split) {
    if (split.inline()) {
      return new LabeledData(split.inputs(), split.labels(), List.of());
    }
    LabeledData test = heldOutDigits();
    return switch (split.name()) {
      case BASE -> test.onlyClasses(c -> c < 5);
      case NOVEL -> test.onlyClasses(c -> c >= 5);
      default -> test;
    };
  }

  /** Seed {@code seed}'s draw of the split: noise (for noise splits) then a bootstrap resample of the rows. */
  public static LabeledData draw(ExperimentSpec.Split split, LabeledData base, int seed) {
    SplittableRandom random = new SplittableRandom(SEED_BASE + seed);
    SplittableRandom noise = random.split();
    double std = split.inline() || !split.name().startsWith(NOISE_PREFIX) ? 0
        : NOISE_STD_PER_SEVERITY * Integer.parseInt(split.name().substring(NOISE_PREFIX.length()));
    int n = base.size();
    float[][] features = new float[n][];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int row = random.nextInt(n);
      features[i] = base.features()[row];
      labels[i] = base.labels()[row];
    }
    if (std > 0) {
      for (int i = 0; i < n; i++) {
        float[] noisy = features[i].clone();
        for (int j = 0; j < noisy.length; j++) {
          noisy[j] = (float) Math.clamp(noisy[j] + std * noise.nextGaussian(), 0.0, 1.0);
        }
        features[i] = noisy;
      }
    }
    return new LabeledData(features, labels, base.classNames());
  }
}
