package dev.divergence.merging.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.model.assets.LabeledData;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A seed's draw of a split: a bootstrap resample of its rows and, for the noise splits, clipped Gaussian noise of the stated size. */
class SplitsTest {

  @Test
  void baseAndNovelPartitionTheHeldOutDigitsByClass() {
    LabeledData test = Splits.base(new ExperimentSpec.Split(Splits.TEST, null, null));
    LabeledData base = Splits.base(new ExperimentSpec.Split(Splits.BASE, null, null));
    LabeledData novel = Splits.base(new ExperimentSpec.Split(Splits.NOVEL, null, null));
    // 1797 digits, 80% for training: round(1797 * 0.8) = 1438, so 359 held out
    assertThat(test.size()).isEqualTo(359);
    assertThat(base.size() + novel.size()).isEqualTo(test.size());
    assertThat(Arrays.stream(base.labels()).allMatch(c -> c < 5)).isTrue();
    assertThat(Arrays.stream(novel.labels()).allMatch(c -> c >= 5)).isTrue();
  }

  @Test
  void aSeedDrawsABootstrapResampleOfTheRowsTheSameWayEveryTime() {
    ExperimentSpec.Split split = new ExperimentSpec.Split(Splits.TEST, null, null);
    LabeledData base = Splits.base(split);
    LabeledData first = Splits.draw(split, base, 3);
    LabeledData again = Splits.draw(split, base, 3);
    LabeledData other = Splits.draw(split, base, 4);
    assertThat(first.size()).isEqualTo(base.size());
    assertThat(first.labels()).isEqualTo(again.labels());
    assertThat(first.labels()).isNotEqualTo(other.labels());
    Set<float[]> rows = new HashSet<>(Arrays.asList(base.features()));
    // every drawn row is one of the split's rows (the same array, unchanged), and some repeat
    assertThat(Arrays.stream(first.features()).allMatch(rows::contains)).isTrue();
    assertThat(Arrays.stream(first.features()).distinct().count()).isLessThan(base.size());
  }

  @Test
  void noiseSplitsAddClippedGaussianNoiseOfTheirSeverity() {
    ExperimentSpec.Split split = new ExperimentSpec.Split(Splits.NOISE_PREFIX + 2, null, null);
    LabeledData base = Splits.base(split);
    LabeledData noisy = Splits.draw(split, base, 0);
    LabeledData clean = Splits.draw(new ExperimentSpec.Split(Splits.TEST, null, null), base, 0);
    // the same seed resamples the same rows, so the difference is the noise alone
    assertThat(noisy.labels()).isEqualTo(clean.labels());
    double sum = 0;
    double squares = 0;
    long unclipped = 0;
    for (int i = 0; i < noisy.size(); i++) {
      for (int j = 0; j < noisy.dim(); j++) {
        float v = noisy.features()[i][j];
        assertThat(v).isBetween(0f, 1f);
        float c = clean.features()[i][j];
        if (v > 0 && v < 1) {
          // pixels left unclipped carry the noise itself
          double d = v - c;
          sum += d;
          squares += d * d;
          unclipped++;
        }
      }
    }
    // unclipped draws are a truncated normal of sd 0.2, so their sd is below 0.2 but of its order
    double sd = Math.sqrt(squares / unclipped - (sum / unclipped) * (sum / unclipped));
    System.out.printf("severity 2: %d unclipped values, sd %.4f%n", unclipped, sd);
    assertThat(sd).isBetween(0.08, 0.2);
    assertThat(List.of(Splits.builtInNames().toArray())).contains("digits-noise-1", "digits-noise-5");
  }
}
