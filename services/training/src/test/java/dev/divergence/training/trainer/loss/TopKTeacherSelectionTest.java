package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.math.logits.TopKTeacher;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bounded top-k selection ranks exactly as a full sort does (logit descending, ties by lower id). */
class TopKTeacherSelectionTest {

  @Test
  void selectionEqualsAFullSortIncludingTies() {
    SplittableRandom random = new SplittableRandom(11);
    int rows = 40;
    int vocab = 97;
    float[] logits = new float[rows * vocab];
    for (int i = 0; i < logits.length; i++) {
      // few distinct values: many ties
      logits[i] = random.nextInt(12) * 0.5f - 3f;
    }
    for (int k : new int[] {1, 5, 96, 97}) {
      TopKTeacher top = DivergenceLogitsLoss.topKTeacher(logits, rows, vocab, k, 1.7);
      for (int r = 0; r < rows; r++) {
        final int base = r * vocab;
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
          order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Float.compare(logits[base + y], logits[base + x]));
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
          max = Math.max(max, logits[base + i] / 1.7);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
          sum += Math.exp(logits[base + i] / 1.7 - max);
        }
        for (int j = 0; j < k; j++) {
          assertThat(top.indices()[r * k + j]).as("k %d row %d rank %d", k, r, j).isEqualTo(order[j]);
          assertThat(top.logProbs()[r * k + j]).isEqualTo((float) Math.min(0.0, logits[base + order[j]] / 1.7 - max - Math.log(sum)));
        }
      }
    }
  }
}
