package dev.divergence.training.trainer.rlvr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AnswerCheckerTest {

  @Test
  void integerReadsTheFirstIntegerOfTheAnswer() {
    AnswerChecker integer = AnswerChecker.of("integer");
    assertThat(integer.correct("32", "32")).isTrue();
    assertThat(integer.correct("32\n1+1=2", "32")).isTrue();
    assertThat(integer.correct(" 032 apples", "32")).isTrue();
    assertThat(integer.correct("-5", "-5")).isTrue();
    assertThat(integer.correct("321", "32")).isFalse();
    assertThat(integer.correct("3 2", "32")).isFalse();
    assertThat(integer.correct("5", "-5")).isFalse();
    assertThat(integer.correct("thirty-two", "32")).isFalse();
    assertThat(integer.correct("", "0")).isFalse();
  }

  @Test
  void exactComparesTheFirstLineTrimmed() {
    AnswerChecker exact = AnswerChecker.of("exact");
    assertThat(exact.correct(" Paris \nLondon", "Paris")).isTrue();
    assertThat(exact.correct("Paris is", "Paris")).isFalse();
    assertThat(exact.correct("paris", "Paris")).isFalse();
    assertThat(exact.correct("4", " 4 ")).isTrue();
    assertThatThrownBy(() -> AnswerChecker.of("fuzzy")).isInstanceOf(IllegalArgumentException.class);
  }
}
