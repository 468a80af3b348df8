package dev.divergence.training.trainer.fdpg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.GenerationResult;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.trainer.Djl;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.data.LmEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batched sampler against libs/model's one-sequence {@link Generator} (its own KV cache, the same
 * {@code Sampler} seeded the same way): every row draws the same tokens, and the summed log-probs of
 * the picks equal a full recomputation's.
 */
class BatchSamplerTest {

  @Test
  void distinctCountsTheNgramsOfEachSampleUpToItsLength() {
    // the third row's last token lies past its length (an end token): it is not counted
    BatchSampler.Samples samples = new BatchSampler.Samples(
        List.of(new long[] {1, 2, 1, 2}, new long[] {3}, new long[] {5, 5, 9}), new int[] {4, 1, 2}, new double[3]);
    // 1-grams 1 2 1 2 | 3 | 5 5: {1, 2, 3, 5} of 7; 2-grams 12 21 12 | - | 55: {12, 21, 55} of 4
    assertThat(samples.distinct(1)).isEqualTo(4.0 / 7);
    assertThat(samples.distinct(2)).isEqualTo(3.0 / 4);
    assertThat(new BatchSampler.Samples(List.of(new long[] {7}), new int[] {1}, new double[1]).distinct(2))
        .as("no 2-gram at all").isZero();
  }

  @Test
  void rowsDrawWhatTheOneSequenceGeneratorDrawsWithTheSameSeeds() {
    Path dir = TestRun.builtIns().ensure("tiny-lm");
    try (NDManager root = Djl.manager(); TextTokenizer tokenizer = Tokenizers.load(dir); LlamaModel model = LlamaModel.load(root, dir)) {
      long[] prompt = new LmEncoding(tokenizer, model.config()).prompt("");
      long[] seeds = FDpgTrainer.seeds(42, 3, 0, 12);
      int maxNewTokens = 20;
      BatchSampler.Samples samples = BatchSampler.sample(model, root, prompt, seeds, maxNewTokens, 1.0);
      assertThat(samples.size()).isEqualTo(12);
      long eos = model.config().eosTokenIds().getFirst();
      List<long[]> prompts = new ArrayList<>();
      for (int i = 0; i < seeds.length; i++) {
        GenerationResult one = new Generator(model).generate(root, prompt, GenerationConfig.sampling(maxNewTokens, 1.0, 0, 1.0, seeds[i]));
        // a near-tie between two tokens could flip under other float32 rounding; with 12 x 20 draws of
        // continuous uniforms against differences of ~1e-6 in probabilities that has probability ~1e-4
        assertThat(samples.tokens().get(i)).as("sample %d", i).containsExactly(one.tokens());
        boolean ended = one.tokens().length > 0 && one.tokens()[one.tokens().length - 1] == eos;
        assertThat(samples.lengths()[i]).isEqualTo(one.tokens().length - (ended ? 1 : 0)).isLessThanOrEqualTo(maxNewTokens);
        prompts.add(prompt);
      }
      List<float[]> recomputed = LogProbs.continuations(model, root, prompts, samples.tokens());
      for (int i = 0; i < seeds.length; i++) {
        double sum = 0;
        for (float lp : recomputed.get(i)) {
          sum += lp;
        }
        // the sampler's picks under the incremental (cached) forward vs one full forward: float32
        // rounding only, bounded per sample by FDpgTrainerTest.SEQUENCE_LOG_PROB_ERROR
        assertThat(samples.logProposal()[i]).as("sample %d", i).isCloseTo(sum, within(FDpgTrainerTest.SEQUENCE_LOG_PROB_ERROR));
      }
      assertThat(samples.tokens().stream().map(java.util.Arrays::toString).distinct().count()).as("seeded rows differ").isGreaterThan(1);
    }
  }
}
