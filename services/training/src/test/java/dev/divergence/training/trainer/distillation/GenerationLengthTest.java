package dev.divergence.training.trainer.distillation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.trainer.Djl;
import dev.divergence.training.trainer.TestRun;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TextExample;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On-policy and sequence-level generations are as long as the spec's maxNewTokens allows, no hard-coded cap. */
class GenerationLengthTest {

  private static final List<TextExample> PROMPTS = List.of(new TextExample("3+4=", "7"), new TextExample("12+9=", "21"),
      new TextExample("5*6=", "30"), new TextExample("8-2=", "6"));
  private static final int[] ROWS = {0, 1, 2, 3};

  /** Generated tokens per sequence (sequence length minus its prompt, where loss counting starts). */
  private static int[] generated(SequenceBatch batch, LmEncoding encoding) {
    int[] out = new int[ROWS.length];
    for (int b = 0; b < ROWS.length; b++) {
      int real = 0;
      for (int t = 0; t < batch.length(); t++) {
        real += (int) batch.mask()[b * batch.length() + t];
      }
      out[b] = real - encoding.prompt(PROMPTS.get(ROWS[b]).generationPrompt()).length;
    }
    return out;
  }

  @Test
  void generationsFollowMaxNewTokens() {
    Path studentDir = TestRun.builtIns().ensure("tiny-lm-student");
    Path teacherDir = TestRun.builtIns().ensure("tiny-lm");
    try (NDManager root = Djl.manager();
         TextTokenizer tokenizer = Tokenizers.load(studentDir);
         LlamaModel student = LlamaModel.load(root, studentDir);
         LlamaModel teacher = LlamaModel.load(root, teacherDir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, student.config());
      for (LanguageModelDistillation.Source source : List.of(LanguageModelDistillation.Source.STUDENT,
          LanguageModelDistillation.Source.TEACHER)) {
        SequenceBatch capped = LanguageModelDistillation.sequences(root, source, ROWS, PROMPTS, encoding, teacher, student, 7, 128, 3);
        for (int n : generated(capped, encoding)) {
          assertThat(n).as("%s generation with maxNewTokens 3", source).isBetween(1, 3);
        }
      }
      // the student is freshly initialised and rarely samples EOS: with room for 40 tokens some of its
      // generations run past the former fixed cap of 12, none past 40
      SequenceBatch long40 = LanguageModelDistillation.sequences(root, LanguageModelDistillation.Source.STUDENT, ROWS, PROMPTS,
          encoding, teacher, student, 7, 128, 40);
      int[] lengths = generated(long40, encoding);
      for (int n : lengths) {
        assertThat(n).isBetween(1, 40);
      }
      assertThat(java.util.Arrays.stream(lengths).max().orElseThrow()).isGreaterThan(12);
    }
  }

  @Test
  void unsetMaxNewTokensKeepsTheFormerTwelve() {
    DistillationSpec spec = new DistillationSpec("tiny-lm", DivergenceChoice.of("kl"), 1.0, 0.0, 0.5, false, 0, null).withDefaults();
    assertThat(spec.maxNewTokens()).isEqualTo(12);
  }
}
