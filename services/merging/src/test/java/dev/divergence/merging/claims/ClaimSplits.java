package dev.divergence.merging.claims;

import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.assets.variants.DatasetVariants;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol's pairs and their splits: the test part of the registered dataset variants that
 * training, evaluation and merging share (libs/model's {@link DatasetVariants}), so a split here is
 * row for row what a merging experiment or a training job of the same name sees.
 */
final class ClaimSplits {

  private static final List<String> DIGIT_CORRUPTIONS = List.of("noise", "blur", "occlusion", "contrast");
  private static final List<String> CANCER_SHIFTS = List.of("noise", "scale", "missing");

  private ClaimSplits() {
  }

  static List<T3Claims.Pair> pairs() {
    // digits: the expert was fine-tuned on classes 0-4, so its domain is digits-base; everything else shifts away from it
    List<String> digits = new ArrayList<>(List.of(DatasetVariants.DIGITS_BASE, DatasetVariants.DIGITS, DatasetVariants.DIGITS_NOVEL));
    digits.addAll(severities(DatasetVariants.DIGITS, DIGIT_CORRUPTIONS));
    List<String> cancer = new ArrayList<>(List.of(DatasetVariants.BREAST_CANCER));
    cancer.addAll(severities(DatasetVariants.BREAST_CANCER, CANCER_SHIFTS));
    return List.of(
        new T3Claims.Pair("digits_cnn", TinyAssets.DIGITS_GENERALIST, TinyAssets.DIGITS_EXPERT, DatasetVariants.DIGITS_BASE, digits),
        new T3Claims.Pair("breast_cancer_mlp", TinyAssets.CANCER_GENERALIST, TinyAssets.CANCER_EXPERT, DatasetVariants.BREAST_CANCER, cancer));
  }

  private static List<String> severities(String source, List<String> kinds) {
    List<String> names = new ArrayList<>();
    for (String kind : kinds) {
      for (int s = 1; s <= DatasetVariants.MAX_SEVERITY; s++) {
        names.add(source + "-" + kind + "-" + s);
      }
    }
    return names;
  }

  /** The split's test rows. */
  static LabeledData rows(String split) {
    if (!DatasetVariants.isKnown(split)) {
      throw new IllegalArgumentException("no registered dataset '" + split + "'");
    }
    return DatasetVariants.load(split).test();
  }
}
