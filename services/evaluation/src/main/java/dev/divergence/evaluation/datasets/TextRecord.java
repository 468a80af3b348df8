package dev.divergence.evaluation.datasets;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A text record: a whole text ({@code {"text": ...}}: prompt empty, the text as completion, as the
 * trainers read it) or a prompt with its completion. {@code answer} is the record's {@code "answer"}
 * field when it has one, else null.
 */
public record TextRecord(long index, String split, String prompt, String completion, String answer) {

  /** "a+b=c" / "a-b=c", the built-in arithmetic lines (libs/model's SyntheticCorpus). */
  private static final Pattern ARITHMETIC = Pattern.compile("(\\d+[+-]\\d+=)(\\d+)");

  /** Whether the record is a prompt with a completion rather than a whole text. */
  public boolean hasPrompt() {
    return !prompt.isEmpty();
  }

  /** The whole text: prompt followed by completion. */
  public String text() {
    return prompt + completion;
  }

  /**
   * The prompt to give a model and the answer a verifier expects: the record's prompt with its
   * {@code answer} (else its completion); for a whole text of the arithmetic form "a+b=c", the
   * part up to "=" and c. Empty for other whole texts (they have no question to ask).
   */
  public Optional<PromptAndAnswer> promptAndAnswer() {
    if (hasPrompt()) {
      return Optional.of(new PromptAndAnswer(prompt, answer != null ? answer : completion));
    }
    Matcher matcher = ARITHMETIC.matcher(completion);
    return matcher.matches() ? Optional.of(new PromptAndAnswer(matcher.group(1), matcher.group(2))) : Optional.empty();
  }

  public record PromptAndAnswer(String prompt, String answer) {}
}
