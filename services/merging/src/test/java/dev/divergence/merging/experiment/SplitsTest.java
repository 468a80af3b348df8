package dev.divergence.merging.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.variants.DatasetVariants;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Built-in splits are the registered datasets' test parts; a seed's draw is a bootstrap resample of their rows. */
class SplitsTest {

  @Test
  void aBuiltInSplitIsTheRegisteredDatasetsTestPart() {
    assertThat(Splits.builtInNames()).isEqualTo(DatasetVariants.knownNames());
    assertThat(Splits.builtInNames()).contains("digits", "digits-base", "digits-novel", "digits-blur-3", "digits-occlusion-5",
        "breast-cancer", "breast-cancer-missing-1").doesNotContain("digits-test", "digits-noise-6");
    for (String name : List.of("digits", "digits-base", "digits-contrast-2", "breast-cancer", "breast-cancer-scale-4")) {
      LabeledData split = Splits.base(new ExperimentSpec.Split(name, null, null));
      LabeledData test = DatasetVariants.load(name).test();
      assertThat(split.features()).as(name).isDeepEqualTo(test.features());
      assertThat(split.labels()).as(name).isEqualTo(test.labels());
    }
    // 1797 digits, 80% for training: round(1797 * 0.8) = 1438, so 359 held out; 569 * 0.2 rounds to 114
    LabeledData digits = Splits.base(new ExperimentSpec.Split("digits", null, null));
    LabeledData base = Splits.base(new ExperimentSpec.Split("digits-base", null, null));
    LabeledData novel = Splits.base(new ExperimentSpec.Split("digits-novel", null, null));
    assertThat(digits.size()).isEqualTo(359);
    assertThat(base.size() + novel.size()).isEqualTo(digits.size());
    assertThat(Arrays.stream(base.labels()).allMatch(c -> c < 5)).isTrue();
    assertThat(Arrays.stream(novel.labels()).allMatch(c -> c >= 5)).isTrue();
    assertThat(Splits.base(new ExperimentSpec.Split("breast-cancer", null, null)).size()).isEqualTo(114);
  }

  @Test
  void defaultsFollowThePairsInputWidth() {
    assertThat(Splits.defaults(64)).containsExactly("digits", "digits-base", "digits-novel", "digits-noise-3", "digits-blur-3");
    assertThat(Splits.defaults(30)).containsExactly("breast-cancer", "breast-cancer-noise-3", "breast-cancer-scale-3",
        "breast-cancer-missing-3");
    assertThat(Splits.defaults(12)).isEmpty();
    for (int width : new int[] {64, 30}) {
      assertThat(Splits.defaults(width)).allSatisfy(name -> assertThat(Splits.width(name)).isEqualTo(width));
    }
    assertThat(Splits.builtInModelWidth("digits-cnn-expert")).isEqualTo(64);
    assertThat(Splits.builtInModelWidth("breast-cancer-mlp-generalist")).isEqualTo(30);
    assertThat(Splits.builtInModelWidth("my-model")).isEqualTo(-1);
  }

  @Test
  void aSeedDrawsABootstrapResampleOfTheRowsTheSameWayEveryTime() {
    ExperimentSpec.Split split = new ExperimentSpec.Split("digits-noise-2", null, null);
    LabeledData base = Splits.base(split);
    LabeledData first = Splits.draw(split, base, 3);
    LabeledData again = Splits.draw(split, base, 3);
    LabeledData other = Splits.draw(split, base, 4);
    assertThat(first.size()).isEqualTo(base.size());
    assertThat(first.labels()).isEqualTo(again.labels());
    assertThat(first.labels()).isNotEqualTo(other.labels());
    Set<float[]> rows = new HashSet<>(Arrays.asList(base.features()));
    // every drawn row is one of the split's rows (the same array, unchanged: the corruption is the variant's, not the seed's), and some repeat
    assertThat(Arrays.stream(first.features()).allMatch(rows::contains)).isTrue();
    assertThat(Arrays.stream(first.features()).distinct().count()).isLessThan(base.size());
    // the same seed resamples the same row positions on every split of the same size: paired across splits too
    LabeledData clean = Splits.base(new ExperimentSpec.Split("digits", null, null));
    LabeledData cleanDraw = Splits.draw(new ExperimentSpec.Split("digits", null, null), clean, 3);
    assertThat(cleanDraw.labels()).isEqualTo(first.labels());
  }
}
