package dev.divergence.training.trainer.fdpg;

import dev.divergence.training.job.FDpgSpec;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A binary feature phi(x) in {0, 1} of one generated sample: the pointwise constraint b(x) of an
 * f-DPG target, or one feature of its distributional constraints. Built from a validated
 * {@link FDpgSpec.Feature}.
 */
@FunctionalInterface
public interface SampleFeature {

  /**
   * @param prompt the prompt's text the sample continues ("" for unconditional samples)
   * @param text the sample decoded (end-of-sequence excluded)
   * @param tokens the sample's token count, end-of-sequence excluded
   */
  boolean test(String prompt, String text, int tokens);

  /** "a+b=c" or "a-b=c" of non-negative integers, spaces allowed around the parts. */
  Pattern ARITHMETIC = Pattern.compile("\\s*(\\d{1,9})\\s*([+-])\\s*(\\d{1,9})\\s*=\\s*(-?\\d{1,10})\\s*");

  static SampleFeature of(FDpgSpec.Feature spec) {
    return switch (spec.name()) {
      case "contains" -> {
        String needle = spec.text();
        yield (prompt, text, tokens) -> text.contains(needle);
      }
      case "max_tokens" -> {
        int limit = spec.maxTokens();
        yield (prompt, text, tokens) -> tokens <= limit;
      }
      case "regex" -> {
        Pattern pattern = Pattern.compile(spec.regex());
        yield (prompt, text, tokens) -> pattern.matcher(text).find();
      }
      // the prompt "23+9=" and the answer "32" make the line
      case "answer_correct" -> (prompt, text, tokens) -> answerCorrect(prompt + text);
      default -> throw new IllegalArgumentException("unknown f-DPG feature '" + spec.name() + "'");
    };
  }

  /** True when {@code text} is an arithmetic line whose answer is right. */
  static boolean answerCorrect(String text) {
    Matcher m = ARITHMETIC.matcher(text);
    if (!m.matches()) {
      return false;
    }
    long a = Long.parseLong(m.group(1));
    long b = Long.parseLong(m.group(3));
    long answer = Long.parseLong(m.group(4));
    return answer == (m.group(2).equals("+") ? a + b : a - b);
  }
}
