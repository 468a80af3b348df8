package dev.divergence.training.trainer.data;

/**
 * One text record: a whole text (prompt empty) or a prompt with its completion. {@link #prompt()}
 * is what on-policy and sequence-level distillation condition generation on.
 */
public record TextExample(String prompt, String completion) {

  /** The conditioning prefix for generation: the prompt, else the text up to its first '=' or ' '. */
  public String generationPrompt() {
    if (!prompt.isEmpty()) {
      return prompt;
    }
    int cut = completion.indexOf('=');
    if (cut < 0) {
      cut = completion.indexOf(' ');
    }
    return cut < 0 ? completion.substring(0, Math.min(1, completion.length())) : completion.substring(0, cut + 1);
  }

  public String fullText() {
    return prompt + completion;
  }
}
