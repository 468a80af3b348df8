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
 * token. This is plain Triton protocol, so it is correct on Triton as on the embedded server.
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
      long[] ids = new long[chunk.size() * seq];
      long[] mask = new long[chunk.size() * seq];
      Arrays.fill(ids, padId);
      for (int r = 0; r < chunk.size(); r++) {
        long[] row = chunk.get(r);
        System.arraycopy(row, 0, ids, r * seq, row.length);
        Arrays.fill(mask, r * seq, r * seq + row.length, 1L);
      }
      long[] shape = {chunk.size(), seq};
      float[] logits;
      try {
        logits = client.infer(InferRequest.to(TritonNames.stateless(model)).version(version)
                .input("input_ids", Tensor.int64(shape, ids))
                .input("attention_mask", Tensor.int64(shape, mask))
                .output("logits"))
            .output("logits").toFloats();
      } catch (StatusRuntimeException e) {
        throw ServingBackendException.translate(e, model);
      }
      System.arraycopy(logits, 0, out, start * vocab, chunk.size() * vocab);
    }
    return out;
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
