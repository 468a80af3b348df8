package dev.divergence.training.trainer.fdpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Algorithm;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.FDpoSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.trainer.Trainer;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import dev.divergence.training.trainer.common.ModelFolders;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.common.StepMetrics;
import dev.divergence.training.trainer.common.StepRandom;
import dev.divergence.training.trainer.common.TrainingLoop;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.PreferenceExample;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.FDivergence;
import dev.divergence.training.trainer.loss.FDpoLoss;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * f-DPO: trains a policy language model on preference pairs against a frozen reference, with the
 * loss of {@link FDpoLoss}. Reference log-probs are computed once per example and cached. Per step
 * it reports TRL's metrics (rewards/*, logps/*), the f'-scores (f_scores/*), {@code logratios/chosen}
 * and {@code logratios/rejected} (the mean sequence log-ratio log pi_theta(y|x) - log pi_ref(y|x) of
 * the batch's chosen and rejected answers: a log-ratio on the dataset's answers, not a KL, which would
 * need the policy's own samples) and {@code entropy} (the policy's mean token entropy on the answers),
 * each over all micro-batches of the step. Policy and reference score the same tokens: both cut to
 * the shorter of their contexts. The held-out evaluation runs in batches of the training batch size,
 * chunked over positions like the training loss.
 */
@Component
public class FDpoTrainer implements Trainer {

  @Override
  public Algorithm algorithm() {
    return Algorithm.F_DPO;
  }

  @Override
  public TrainingOutcome train(TrainingRun run) {
    JobSpec spec = run.spec();
    FDpoSpec method = spec.fDpo();
    Budget budget = spec.budget();
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    Path policyBase = run.modelDir("spec.model", spec.model());
    Path referenceDir = run.modelDir("spec.fDpo.referenceModel", method.referenceModel());
    TrainingData.Split<PreferenceExample> data = TrainingData.preference(run.dataset());
    // the spec's alpha is the registry's Amari alpha; the loss is written in the paper's convention
    FDpoLoss loss = new FDpoLoss(FDivergence.of(method.divergence().name()), method.paperAlpha(),
        method.beta(), method.labelSmoothing());
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(policyBase);
         LlamaModel policy = LlamaModel.load(root, loop.weightsDir(policyBase));
         LlamaModel reference = LlamaModel.load(root, referenceDir);
         Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      int context = Math.min(policy.config().maxPositionEmbeddings(), reference.config().maxPositionEmbeddings());
      ReferenceLogProbCache cache = new ReferenceLogProbCache(reference, encoding, context, run.lossChunkRows());
      int pairs = budget.batchSize();
      Map<String, Double> before = evaluate(policy, reference, loss, encoding, data.heldOut(), context, pairs, run.lossChunkRows());
      List<PreferenceExample> train = data.train();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        long tokens = 0;
        // pair means (the loss, rewards, log-probs) weigh by pairs, the token-mean entropy by counted tokens
        StepMetrics metrics = new StepMetrics();
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * pairs, pairs);
          try (NDManager m = root.newSubManager()) {
            PreferenceBatch batch = PreferenceBatch.of(train, rows, encoding, context);
            double[][] referenceScores = cache.get(train, rows, m);
            NDArray referenceChosen = m.create(floats(referenceScores[0]));
            NDArray referenceRejected = m.create(floats(referenceScores[1]));
            SequenceBatch sequences = batch.sequences();
            int vocab = policy.config().vocabSize();
            int answerTokens = sequences.countedTokens();
            // more rows than one chunk holds: the chunked loss, never [2B*(T-1), V] logits at once
            if ((long) sequences.batch() * (sequences.length() - 1) > ChunkedHeadLoss.chunkRows(run.lossChunkRows(), vocab)) {
              optimisation.backward(() -> {
                NDArray hidden = sequences.predictionRows(policy.hiddenStates(sequences.idsArray(m), sequences.maskArray(m)));
                ChunkedPreferenceLoss.Result result = ChunkedPreferenceLoss.compute(loss, hidden, ChunkedHeadLoss.headWeight(policy),
                    sequences, pairs, referenceScores[0], referenceScores[1], run.lossChunkRows());
                metrics.addAll(result.constants().metrics(), pairs);
                metrics.addAll(sequenceMetrics(m.create(result.policyChosen()), m.create(result.policyRejected()), referenceScores),
                    pairs);
                metrics.add("entropy", result.entropy(), answerTokens);
                return result.loss();
              }, pairs);
              tokens += sequences.realTokens();
              continue;
            }
            optimisation.backward(() -> {
              PreferenceBatch.Scores scores = batch.score(policy, m);
              NDArray chosen = scores.logProbs().get("0:" + pairs);
              NDArray rejected = scores.logProbs().get(pairs + ":");
              FDpoLoss.Result result = loss.compute(chosen, rejected, referenceChosen, referenceRejected);
              metrics.addAll(result.metrics(), pairs);
              metrics.addAll(sequenceMetrics(chosen, rejected, referenceScores), pairs);
              metrics.add("entropy", scores.entropy(), answerTokens);
              return result.loss();
            }, pairs);
            tokens += batch.sequences().realTokens();
          }
        }
        Map<String, Double> stepMetrics = metrics.means();
        stepMetrics.put("ref_logps_cache_hit_rate", cache.hitRate());
        return new TrainingLoop.StepOutput(stepMetrics, (long) pairs * optimisation.accumulation(), tokens);
      }, dir -> ModelFolders.save(dir, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(policyBase, d);
      }), train.size(), "tokens");
      Map<String, Double> after = evaluate(policy, reference, loss, encoding, data.heldOut(), context, pairs, run.lossChunkRows());
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(policyBase, d);
      });
      Map<String, Double> finals = new LinkedHashMap<>(last);
      before.forEach((k, v) -> finals.put(k + "_initial", v));
      finals.putAll(after);
      run.log(String.format("held-out preference accuracy %.3f -> %.3f", before.get("eval/rewards/accuracies"),
          after.get("eval/rewards/accuracies")));
      return new TrainingOutcome(out, finals);
    }
  }

  /**
   * TRL's logps/chosen and logps/rejected (mean sequence log-probs), and logratios/chosen and
   * logratios/rejected: the mean of log pi_theta(y|x) - log pi_ref(y|x) over the batch's chosen and
   * rejected answers.
   */
  static Map<String, Double> sequenceMetrics(NDArray chosen, NDArray rejected, double[][] reference) {
    float[] c = chosen.stopGradient().toFloatArray();
    float[] r = rejected.stopGradient().toFloatArray();
    double sumC = 0;
    double sumR = 0;
    double ratioC = 0;
    double ratioR = 0;
    for (int i = 0; i < c.length; i++) {
      sumC += c[i];
      sumR += r[i];
      ratioC += c[i] - reference[0][i];
      ratioR += r[i] - reference[1][i];
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("logps/chosen", sumC / c.length);
    out.put("logps/rejected", sumR / r.length);
    out.put("logratios/chosen", ratioC / c.length);
    out.put("logratios/rejected", ratioR / r.length);
    return out;
  }

  /**
   * The f-DPO metrics of the held-out pairs, prefixed eval/ (no gradient). Pairs are scored
   * {@code pairsPerBatch} at a time (the training batch size), each batch chunked over positions
   * ({@code chunkRows}, the loss-chunk-rows setting), so no step holds the whole set's logits.
   */
  static Map<String, Double> evaluate(LlamaModel policy, LlamaModel reference, FDpoLoss loss, LmEncoding encoding,
      List<PreferenceExample> heldOut, int context, int pairsPerBatch, int chunkRows) {
    int n = heldOut.size();
    float[][] p = new float[2][n];
    float[][] r = new float[2][n];
    try (NDManager m = policy.parameters().manager().newSubManager()) {
      for (int from = 0; from < n; from += pairsPerBatch) {
        int[] rows = java.util.stream.IntStream.range(from, Math.min(n, from + pairsPerBatch)).toArray();
        PreferenceBatch batch = PreferenceBatch.of(heldOut, rows, encoding, context);
        double[] policyScores = batch.logProbs(policy, m, chunkRows);
        double[] referenceScores = batch.logProbs(reference, m, chunkRows);
        for (int i = 0; i < rows.length; i++) {
          p[0][from + i] = (float) policyScores[i];
          p[1][from + i] = (float) policyScores[rows.length + i];
          r[0][from + i] = (float) referenceScores[i];
          r[1][from + i] = (float) referenceScores[rows.length + i];
        }
      }
      FDpoLoss.Result result = loss.compute(m.create(p[0]), m.create(p[1]), m.create(r[0]), m.create(r[1]));
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("eval/loss", (double) result.loss().getFloat());
      result.metrics().forEach((k, v) -> out.put("eval/" + k, v));
      return out;
    }
  }

  private static float[] floats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
