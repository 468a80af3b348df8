package dev.divergence.evaluation.run.suite;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AnswerMatchTest {

  @Test
  void theFirstWordDecides() {
    assertThat(AnswerMatch.answers("32", "32")).isTrue();
    assertThat(AnswerMatch.answers(" 32.", "32")).isTrue();
    assertThat(AnswerMatch.answers("32 is it", "32")).isTrue();
    assertThat(AnswerMatch.answers("Paris!", "paris")).isTrue();
    assertThat(AnswerMatch.answers("320", "32")).isFalse();
    assertThat(AnswerMatch.answers("3", "32")).isFalse();
    assertThat(AnswerMatch.answers("", "32")).isFalse();
    assertThat(AnswerMatch.answers("it is 32", "32")).isFalse();
    assertThat(AnswerMatch.answers("", "")).isFalse();
  }
}
