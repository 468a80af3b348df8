package dev.divergence.training.trainer.rlvr;

import dev.divergence.training.job.RlvrSpec;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The verifiable reward of an RLVR job: 1 when an answer (the generated text after the prompt, end
 * token excluded) is right, else 0.
 * <ul>
 *   <li>{@code integer}: the first integer in the answer (an optional '-' then digits) equals the
 *       expected one; no integer is wrong. The arithmetic task's checker: "32", "32\n" and "32 and"
 *       all answer 23+9=.</li>
 *   <li>{@code exact}: the answer's first line, trimmed, equals the expected text, trimmed.</li>
 * </ul>
 */
public enum AnswerChecker {
  INTEGER, EXACT;

  private static final Pattern FIRST_INTEGER = Pattern.compile("-?\\d+");

  public static AnswerChecker of(String name) {
    return switch (name) {
      case RlvrSpec.CHECKER_INTEGER -> INTEGER;
      case RlvrSpec.CHECKER_EXACT -> EXACT;
      default -> throw new IllegalArgumentException("unknown checker '" + name + "'");
    };
  }

  public boolean correct(String answer, String expected) {
    return switch (this) {
      case INTEGER -> {
        Matcher got = FIRST_INTEGER.matcher(answer);
        Matcher want = FIRST_INTEGER.matcher(expected);
        yield got.find() && want.find() && got.group().replaceFirst("^(-?)0+(?=\\d)", "$1")
            .equals(want.group().replaceFirst("^(-?)0+(?=\\d)", "$1"));
      }
      case EXACT -> {
        int newline = answer.indexOf('\n');
        String firstLine = newline < 0 ? answer : answer.substring(0, newline);
        yield firstLine.trim().equals(expected.trim());
      }
    };
  }
}
