package dev.divergence.training.trainer.fdpg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.training.job.FDpgSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SampleFeatureTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "23+9=32|true", "23+9=33|false", "17-5=12|true", "5-17=-12|true", "5-17=12|false", " 4 + 4 = 8 |true",
      "the cat sat on the mat.|false", "23+9=|false", "23+9=32 and more|false", "7|false"})
  void answerCorrectChecksTheArithmetic(String text, boolean correct) {
    assertThat(SampleFeature.of(FDpgSpec.Feature.answerCorrect()).test("", text, text.length())).isEqualTo(correct);
  }

  /** Conditional samples: the prompt "23+9=" and the generated answer make the line; the other features see the answer only. */
  @Test
  void answerCorrectReadsThePromptWithTheAnswer() {
    assertThat(SampleFeature.of(FDpgSpec.Feature.answerCorrect()).test("23+9=", "32", 2)).isTrue();
    assertThat(SampleFeature.of(FDpgSpec.Feature.answerCorrect()).test("23+9=", "31", 2)).isFalse();
    assertThat(SampleFeature.of(FDpgSpec.Feature.contains("7")).test("17-5=", "12", 2)).isFalse();
  }

  @Test
  void containsRegexAndMaxTokens() {
    assertThat(SampleFeature.of(FDpgSpec.Feature.contains("7")).test("", "17-5=12", 7)).isTrue();
    assertThat(SampleFeature.of(FDpgSpec.Feature.contains("7")).test("", "Ada likes soup.", 15)).isFalse();
    // regex matches anywhere unless anchored
    assertThat(SampleFeature.of(FDpgSpec.Feature.regex("\\d+=\\d")).test("", "x 3=4 y", 7)).isTrue();
    assertThat(SampleFeature.of(FDpgSpec.Feature.regex("^\\d+$")).test("", "x 34", 4)).isFalse();
    assertThat(SampleFeature.of(FDpgSpec.Feature.maxTokens(4)).test("", "abcd", 4)).isTrue();
    assertThat(SampleFeature.of(FDpgSpec.Feature.maxTokens(4)).test("", "abcde", 5)).isFalse();
  }
}
