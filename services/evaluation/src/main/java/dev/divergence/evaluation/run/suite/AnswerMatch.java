package dev.divergence.evaluation.run.suite;

import java.util.Locale;

/**
 * The verifier of the rewards and decoding suites: a generated text answers {@code expected} when
 * its first word equals it, case-insensitively, after trimming whitespace and trailing sentence
 * punctuation. "32", " 32.", "32 is it" answer 32; "320", "3", "" do not.
 */
public final class AnswerMatch {

  private AnswerMatch() {
  }

  public static boolean answers(String generated, String expected) {
    return !normalise(expected).isEmpty() && firstWord(generated).equals(normalise(expected));
  }

  /** The first word of a text, normalised as the verifier compares it. */
  public static String firstWord(String text) {
    String trimmed = text == null ? "" : text.strip();
    int end = 0;
    while (end < trimmed.length() && !Character.isWhitespace(trimmed.charAt(end))) {
      end++;
    }
    return normalise(trimmed.substring(0, end));
  }

  private static String normalise(String text) {
    String value = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    while (!value.isEmpty() && ".,;:!?".indexOf(value.charAt(value.length() - 1)) >= 0) {
      value = value.substring(0, value.length() - 1);
    }
    return value;
  }
}
