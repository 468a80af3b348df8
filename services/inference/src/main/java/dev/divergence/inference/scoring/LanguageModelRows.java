package dev.divergence.inference.scoring;

import dev.divergence.inference.backend.ServingBackendException;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.tensor.Tensor;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Next-token logits of many token rows from a language model's stateless entry: rows go in
 * requests of at most the entry's max_batch_size, right-padded (positions stay those of an
 * unpadded row) with an attention mask; the entry answers the logits after each row's last real
 * token ({@code logits}) or after every position ({@code all_logits}). This is plain Triton
 * protocol, so it is correct on Triton as on the embedded server.
 */
final class LanguageModelRows {

  private LanguageModelRows() {}

  /** Logits, {@code vocab} floats per row, rows in order. */
  static float[] nextTokenLogits(TritonClient client, String model, String version, List<long[]> rows, int maxBatch, int vocab,
      long padId) {
    float[] out = new float[rows.size() * vocab];
    for (int start = 0; start < rows.size(); start += maxBatch) {
      List<long[]> chunk = rows.subList(start, Math.min(rows.size(), start + maxBatch));
      int seq = chunk.stream().mapToInt(r -> r.length).max().orElseThrow();
      float[] logits = infer(client, model, version, chunk, seq, padId, "logits");
      System.arraycopy(logits, 0, out, start * vocab, chunk.size() * vocab);
    }
    return out;
  }

  /**
   * A request's all_logits stay below this many bytes (rows are fewer when they are long), so a
   * response fits the Triton client's inbound limit with room to spare.
   */
  static final long MAX_ALL_LOGITS_BYTES = 64L * 1024 * 1024;

  /**
   * The next-token logits after positions {@code from[i]} .. {@code rows.get(i).length - 1} of
   * each row, from one forward per row: the stateless entry's {@code all_logits} output [batch,
   * seq, vocab]. Rows go longest-first in requests of at most {@code maxBatch} rows whose
   * all_logits stay within {@link #MAX_ALL_LOGITS_BYTES} (rows of similar length share a request,
   * so padding stays small); a row whose all_logits alone exceed it is answered by the per-prefix
   * path instead (one {@code logits} row per position, as {@link #nextTokenLogits}), which the
   * per-position rows equal.
   *
   * @return per row, {@code (length - from) * vocab} floats, positions in order
   */
  static List<float[]> positionLogits(TritonClient client, String model, String version, List<long[]> rows, int[] from,
      int maxBatch, int vocab, long padId) {
    return positionLogits(client, model, version, rows, from, maxBatch, vocab, padId, MAX_ALL_LOGITS_BYTES);
  }

  /** {@link #positionLogits} with requests' all_logits bounded by {@code maxBytes} (tests use small bounds). */
  static List<float[]> positionLogits(TritonClient client, String model, String version, List<long[]> rows, int[] from,
      int maxBatch, int vocab, long padId, long maxBytes) {
    List<float[]> out = new ArrayList<>(java.util.Collections.nCopies(rows.size(), (float[]) null));
    long rowBytesPerPosition = 4L * vocab;
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(rows.get(b).length, rows.get(a).length));
    int next = 0;
    while (next < order.length) {
      int seq = rows.get(order[next]).length;
      if (seq * rowBytesPerPosition > maxBytes) {
        out.set(order[next], perPrefix(client, model, version, rows.get(order[next]), from[order[next]], maxBatch, vocab, padId));
        next++;
        continue;
      }
      // longest first: the first row of a request sets its width
      int fit = (int) Math.min(maxBatch, maxBytes / (seq * rowBytesPerPosition));
      int end = Math.min(order.length, next + Math.max(1, fit));
      List<long[]> chunk = new ArrayList<>(end - next);
      for (int k = next; k < end; k++) {
        chunk.add(rows.get(order[k]));
      }
      float[] logits = infer(client, model, version, chunk, seq, padId, "all_logits");
      for (int k = next; k < end; k++) {
        int row = order[k];
        int base = (k - next) * seq * vocab;
        out.set(row, Arrays.copyOfRange(logits, base + from[row] * vocab, base + rows.get(row).length * vocab));
      }
      next = end;
    }
    return out;
  }

  private static float[] perPrefix(TritonClient client, String model, String version, long[] row, int from, int maxBatch, int vocab,
      long padId) {
    List<long[]> prefixes = new ArrayList<>();
    for (int end = from + 1; end <= row.length; end++) {
      prefixes.add(Arrays.copyOf(row, end));
    }
    return nextTokenLogits(client, model, version, prefixes, maxBatch, vocab, padId);
  }

  /** One request of right-padded rows (attention mask marks the real tokens); {@code output} as a flat float array. */
  private static float[] infer(TritonClient client, String model, String version, List<long[]> chunk, int seq, long padId,
      String output) {
    long[] ids = new long[chunk.size() * seq];
    long[] mask = new long[chunk.size() * seq];
    Arrays.fill(ids, padId);
    for (int r = 0; r < chunk.size(); r++) {
      long[] row = chunk.get(r);
      System.arraycopy(row, 0, ids, r * seq, row.length);
      Arrays.fill(mask, r * seq, r * seq + row.length, 1L);
    }
    long[] shape = {chunk.size(), seq};
    try {
      return client.infer(InferRequest.to(TritonNames.stateless(model)).version(version)
              .input("input_ids", Tensor.int64(shape, ids))
              .input("attention_mask", Tensor.int64(shape, mask))
              .output(output))
          .output(output).toFloats();
    } catch (StatusRuntimeException e) {
      throw ServingBackendException.translate(e, model);
    }
  }

  /** {@code prefix} followed by the first {@code length} tokens of {@code tail}. */
  static long[] concat(long[] prefix, long[] tail, int length) {
    long[] row = Arrays.copyOf(prefix, prefix.length + length);
    System.arraycopy(tail, 0, row, prefix.length, length);
    return row;
  }

  static List<Long> boxed(long[] values) {
    List<Long> out = new ArrayList<>(values.length);
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
