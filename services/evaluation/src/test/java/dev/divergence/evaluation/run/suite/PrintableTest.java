package dev.divergence.evaluation.run.suite;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {

  @Test
  void controlCharactersAreShownAsReplacementAndCutBeforeResending() {
    String sampled = "12\u0000x\u0006y\tz\n";
    assertThat(Printable.shown(sampled)).isEqualTo("12\uFFFDx\uFFFDy\tz\n");
    assertThat(Printable.beforeFirstControl(sampled)).isEqualTo("12");
    assertThat(Printable.beforeFirstControl("a\tb\nc")).isEqualTo("a\tb\nc");
    assertThat(Printable.beforeFirstControl("\u001Dabc")).isEmpty();
  }
}
