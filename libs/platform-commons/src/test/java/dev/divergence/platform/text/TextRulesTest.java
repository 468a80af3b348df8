package dev.divergence.platform.text;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which characters a caller's text may hold; expected messages written by hand from the rule. */
class TextRulesTest {

  @Test
  void ordinaryTextIncludingTabsNewlinesAndEmojiIsAccepted() {
    assertThat(TextRules.problemIn("kd reverse-kl")).isNull();
    assertThat(TextRules.problemIn("line one\nline two\r\n\tindented")).isNull();
    assertThat(TextRules.problemIn("Grüße 🚀 \u007f")).as("DEL and a surrogate pair are text").isNull();
    assertThat(TextRules.problemIn("")).isNull();
    assertThat(TextRules.problemIn(null)).isNull();
  }

  @Test
  void nulAndOtherC0ControlsAreRejectedWithTheirPosition() {
    assertThat(TextRules.problemIn("ab\u0000c")).isEqualTo("must not contain the control character U+0000 (at index 2)");
    assertThat(TextRules.problemIn("\u001b[31m")).isEqualTo("must not contain the control character U+001B (at index 0)");
    assertThat(TextRules.problemIn("x\u0007")).isEqualTo("must not contain the control character U+0007 (at index 1)");
  }

  @Test
  void unpairedSurrogatesAreRejectedBecauseTheyHaveNoUtf8Encoding() {
    assertThat(TextRules.problemIn("a\uD83D")).startsWith("must not contain an unpaired surrogate (at index 1)");
    assertThat(TextRules.problemIn("\uDE80a")).startsWith("must not contain an unpaired surrogate (at index 0)");
    assertThat(TextRules.problemIn("\uD83Dx\uDE80")).startsWith("must not contain an unpaired surrogate (at index 0)");
  }
}
