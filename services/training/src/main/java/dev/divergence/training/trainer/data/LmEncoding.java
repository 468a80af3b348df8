package dev.divergence.training.trainer.data;

import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.tokenizer.TextTokenizer;

/** Token sequences of a language model: BOS + text (+ EOS), with the model's special tokens. */
public final class LmEncoding {

  private final TextTokenizer tokenizer;
  private final long bos;
  private final long eos;

  public LmEncoding(TextTokenizer tokenizer, LlamaConfig config) {
    this.tokenizer = tokenizer;
    this.bos = config.bosTokenId() != null ? config.bosTokenId() : tokenizer.bosTokenId().orElseThrow(
        () -> new IllegalArgumentException("the model has no BOS token"));
    this.eos = !config.eosTokenIds().isEmpty() ? config.eosTokenIds().get(0) : tokenizer.eosTokenId().orElseThrow(
        () -> new IllegalArgumentException("the model has no EOS token"));
  }

  /** BOS + prompt. */
  public long[] prompt(String prompt) {
    return concat(new long[] {bos}, tokenizer.encode(prompt));
  }

  /** BOS + prompt + completion + EOS. */
  public long[] full(String prompt, String completion) {
    return concat(concat(prompt(prompt), tokenizer.encode(completion)), new long[] {eos});
  }

  public static long[] concat(long[] a, long[] b) {
    long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
