package dev.divergence.merging.claims;

import dev.divergence.merging.experiment.ExperimentSpec;
import dev.divergence.merging.experiment.Splits;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import java.util.ArrayList;
import java.util.List;

/** The protocol's pairs and their splits: the test rows of the registered dataset variants the services share. */
final class ClaimSplits {

  private ClaimSplits() {
  }

  static List<T3Claims.Pair> pairs() {
    List<String> digits = new ArrayList<>(List.of(Splits.BASE, Splits.TEST, Splits.NOVEL));
    for (int s = 1; s <= Splits.MAX_SEVERITY; s++) {
      digits.add(Splits.NOISE_PREFIX + s);
    }
    return List.of(new T3Claims.Pair("digits_cnn", TinyAssets.DIGITS_GENERALIST, TinyAssets.DIGITS_EXPERT, Splits.BASE, digits));
  }

  static LabeledData rows(String split) {
    ExperimentSpec.Split s = new ExperimentSpec.Split(split, null, null);
    return Splits.draw(s, Splits.base(s), 0);
  }
}
