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
 * it reports TRL's metrics (rewards/*, logps/*), the f'-scores (f_scores/*), {@code kl} (mean
 * policy minus reference sequence log-prob over the batch's answers) and {@code entropy} (the
 * policy's mean token entropy on the answers).
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
    FDpoLoss loss = new FDpoLoss(FDivergence.of(method.divergence().name()), FDivergence.alphaOf(method.divergence()),
        method.beta(), method.labelSmoothing());
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(policyBase);
         LlamaModel policy = LlamaModel.load(root, loop.weightsDir(policyBase));
         LlamaModel reference = LlamaModel.load(root, referenceDir);
         Optimisation optimisation = new Optimisation(policy.parameters(), budget)) {
      LmEncoding encoding = new LmEncoding(tokenizer, policy.config());
      int context = Math.min(policy.config().maxPositionEmbeddings(), reference.config().maxPositionEmbeddings());
      ReferenceLogProbCache cache = new ReferenceLogProbCache(reference, encoding);
      Map<String, Double> before = evaluate(policy, reference, loss, encoding, data.heldOut(), context);
      List<PreferenceExample> train = data.train();
      int pairs = budget.batchSize();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        double lossSum = 0;
        long tokens = 0;
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * pairs, pairs);
          try (NDManager m = root.newSubManager()) {
            PreferenceBatch batch = PreferenceBatch.of(train, rows, encoding, context);
            double[][] referenceScores = cache.get(train, rows, m);
            NDArray referenceChosen = m.create(floats(referenceScores[0]));
            NDArray referenceRejected = m.create(floats(referenceScores[1]));
            SequenceBatch sequences = batch.sequences();
            int vocab = policy.config().vocabSize();
            // more rows than one chunk holds: the chunked loss, never [2B*(T-1), V] logits at once
            if ((long) sequences.batch() * (sequences.length() - 1) > ChunkedHeadLoss.chunkRows(run.lossChunkRows(), vocab)) {
              lossSum += optimisation.backward(() -> {
                NDArray hidden = sequences.predictionRows(policy.hiddenStates(sequences.idsArray(m), sequences.maskArray(m)));
                ChunkedPreferenceLoss.Result result = ChunkedPreferenceLoss.compute(loss, hidden, ChunkedHeadLoss.headWeight(policy),
                    sequences, pairs, referenceScores[0], referenceScores[1], run.lossChunkRows());
                metrics.putAll(result.constants().metrics());
                metrics.putAll(sequenceMetrics(m.create(result.policyChosen()), m.create(result.policyRejected()), referenceScores));
                metrics.put("entropy", result.entropy());
                return result.loss();
              });
              tokens += sequences.realTokens();
              continue;
            }
            lossSum += optimisation.backward(() -> {
              PreferenceBatch.Scores scores = batch.score(policy, m);
              NDArray chosen = scores.logProbs().get("0:" + pairs);
              NDArray rejected = scores.logProbs().get(pairs + ":");
              FDpoLoss.Result result = loss.compute(chosen, rejected, referenceChosen, referenceRejected);
              metrics.putAll(result.metrics());
              metrics.putAll(sequenceMetrics(chosen, rejected, referenceScores));
              metrics.put("entropy", scores.entropy());
              return result.loss();
            });
            tokens += batch.sequences().realTokens();
          }
        }
        metrics.put("ref_logps_cache_hit_rate", cache.hitRate());
        return new TrainingLoop.StepOutput(lossSum / optimisation.accumulation(), metrics,
            (long) pairs * optimisation.accumulation(), tokens);
      }, dir -> ModelFolders.save(dir, d -> {
        policy.save(d);
        ModelFolders.copyTokenizer(policyBase, d);
      }), train.size(), "tokens");
      Map<String, Double> after = evaluate(policy, reference, loss, encoding, data.heldOut(), context);
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

  /** TRL's logps/chosen and logps/rejected, and the batch's mean log-ratio to the reference ("kl"). */
  private static Map<String, Double> sequenceMetrics(NDArray chosen, NDArray rejected, double[][] reference) {
    float[] c = chosen.stopGradient().toFloatArray();
    float[] r = rejected.stopGradient().toFloatArray();
    double sumC = 0;
    double sumR = 0;
    double ratio = 0;
    for (int i = 0; i < c.length; i++) {
      sumC += c[i];
      sumR += r[i];
      ratio += (c[i] - reference[0][i]) + (r[i] - reference[1][i]);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("logps/chosen", sumC / c.length);
    out.put("logps/rejected", sumR / r.length);
    out.put("kl", ratio / (2.0 * c.length));
    return out;
  }

  /** The f-DPO metrics of the held-out pairs, prefixed eval/ (no gradient). */
  static Map<String, Double> evaluate(LlamaModel policy, LlamaModel reference, FDpoLoss loss, LmEncoding encoding,
      List<PreferenceExample> heldOut, int context) {
    int[] rows = java.util.stream.IntStream.range(0, heldOut.size()).toArray();
    PreferenceBatch batch = PreferenceBatch.of(heldOut, rows, encoding, context);
    try (NDManager m = policy.parameters().manager().newSubManager()) {
      NDArray p = m.create(batch.logProbs(policy, m));
      NDArray r = m.create(batch.logProbs(reference, m));
      int n = rows.length;
      FDpoLoss.Result result = loss.compute(p.get("0:" + n), p.get(n + ":"), r.get("0:" + n), r.get(n + ":"));
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
