package dev.divergence.training.trainer.rlvr;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.RlvrSpec;
import dev.divergence.training.trainer.TrainingRun;
import dev.divergence.training.trainer.data.LmEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-prompt correct counts of a trained RLVR model on the job's held-out prompts, through the
 * trainer's own evaluation ({@link RlvrTrainer#evaluate}): each prompt is evaluated alone, so its
 * pass@1 times n is its count c of correct answers out of n, from which pass@k for every k <= n and
 * per-answer breakdowns follow. Used by the DPH-RL claims main (the trainer logs only pass@1 and
 * one pass@k). Each prompt gets its own sampling seed (derived from the job's seed and the prompt's
 * index): the evaluation's seed stream restarts at every call, and the same n seeds for every prompt
 * would correlate the prompts' answers (the tiny LM hardly reads the prompt).
 */
public final class RlvrHeldOut {

  /** A held-out prompt, its expected answer, and how many of n sampled answers were right. */
  public record Count(String prompt, String answer, int n, int correct) {}

  private RlvrHeldOut() {
  }

  public static List<Count> counts(TrainingRun run, Path modelDir) {
    RlvrSpec method = run.spec().rlvr();
    long seed = run.spec().budget().seed();
    List<RlvrTrainer.Problem> heldOut = RlvrTrainer.problems(run, method, seed)[1];
    AnswerChecker checker = AnswerChecker.of(method.checker());
    int n = method.evaluation().samples();
    List<Count> out = new ArrayList<>();
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(modelDir);
         LlamaModel policy = LlamaModel.load(root, modelDir)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      for (int p = 0; p < heldOut.size(); p++) {
        RlvrTrainer.Problem problem = heldOut.get(p);
        long promptSeed = seed + 0x9E3779B97F4A7C15L * (p + 1);
        double passAt1 = RlvrTrainer.evaluate(policy, root, encoding, tokenizer, checker, List.of(problem), method, promptSeed)
            .get("pass@1");
        out.add(new Count(problem.prompt(), problem.answer(), n, (int) Math.round(passAt1 * n)));
      }
    }
    return out;
  }
}
