package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.modelserver.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchesTest {

    @Test
    void concatThenSplitGivesBackEachRequestsRowsBitExact() {
        Map<String, Tensor> a = Map.of("x", Tensor.fp32(new long[] {1, 2}, 1f, 2f), "s", bytes("malignant"));
        Map<String, Tensor> b = Map.of("x", Tensor.fp32(new long[] {2, 2}, 3f, 4f, 5f, 6f), "s", bytes("benign", "x"));
        Map<String, Tensor> joined = Batches.concat(List.of(a, b));
        assertThat(joined.get("x").shape()).containsExactly(3, 2);
        List<Map<String, Tensor>> parts = Batches.split(joined, new long[] {1, 2});
        assertThat(parts.get(0).get("x").raw()).isEqualTo(a.get("x").raw());
        assertThat(parts.get(1).get("x").raw()).isEqualTo(b.get("x").raw());
        assertThat(parts.get(0).get("s").raw()).isEqualTo(a.get("s").raw());
        assertThat(parts.get(1).get("s").raw()).isEqualTo(b.get("s").raw());
        assertThat(parts.get(1).get("s").shape()).containsExactly(2, 1);
    }

    @Test
    void requestsWithOtherNonBatchShapesDoNotJoin() {
        assertThat(Batches.compatible(Map.of("x", Tensor.int64(new long[] {1, 2}, 1, 2)), Map.of("x", Tensor.int64(new long[] {3, 2}, 1, 2, 3, 4, 5, 6)))).isTrue();
        assertThat(Batches.compatible(Map.of("x", Tensor.int64(new long[] {1, 2}, 1, 2)), Map.of("x", Tensor.int64(new long[] {1, 3}, 1, 2, 3)))).isFalse();
        assertThat(Batches.compatible(Map.of("x", Tensor.int64(new long[] {1, 1}, 1)), Map.of("x", Tensor.int32(new long[] {1, 1}, 1)))).isFalse();
    }

    private static Tensor bytes(String... values) {
        return Tensor.bytes(new long[] {values.length, 1}, java.util.Arrays.stream(values).map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
    }
}
