package dev.divergence.training.trainer.supervised;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Algorithm;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.trainer.Trainer;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import dev.divergence.training.trainer.common.ModelFolders;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.common.StepRandom;
import dev.divergence.training.trainer.common.TrainingLoop;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TextExample;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.loss.ChunkedHeadLoss;
import dev.divergence.training.trainer.loss.CrossEntropyMix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised (pre)training: next-token cross-entropy of a language model on text (prompt tokens
 * excluded when records have a prompt), or class cross-entropy of a classifier. Builds the bases
 * and teachers that the demos align and distil.
 */
@org.springframework.stereotype.Component
public class SupervisedTrainer implements Trainer {

  @Override
  public Algorithm algorithm() {
    return Algorithm.SUPERVISED;
  }

  @Override
  public TrainingOutcome train(TrainingRun run) {
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    return run.dataset().kind() == DatasetKind.CLASSIFICATION ? classifier(run) : languageModel(run);
  }

  private static TrainingOutcome languageModel(TrainingRun run) {
    JobSpec spec = run.spec();
    Budget budget = spec.budget();
    Path base = run.modelDir("spec.model", spec.model());
    TrainingData.Split<TextExample> data = TrainingData.text(run.dataset());
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(base);
         LlamaModel model = LlamaModel.load(root, loop.weightsDir(base));
         Optimisation optimisation = new Optimisation(model.parameters(), budget)) {
      LmEncoding encoding = new LmEncoding(tokenizer, model.config());
      int context = model.config().maxPositionEmbeddings();
      List<TextExample> train = data.train();
      int batchSize = budget.batchSize();
      double before = heldOutLoss(model, encoding, data.heldOut(), context, run.lossChunkRows());
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        long tokens = 0;
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * batchSize, batchSize);
          SequenceBatch batch = batch(encoding, rows, train, context);
          try (NDManager m = root.newSubManager()) {
            // a token mean: weighted by the micro-batch's counted tokens
            optimisation.backward(() -> nextTokenLoss(model, batch, m, run.lossChunkRows()), batch.countedTokens());
          }
          tokens += batch.countedTokens();
        }
        return new TrainingLoop.StepOutput(Map.of(),
            (long) batchSize * optimisation.accumulation(), tokens);
      }, dir -> ModelFolders.save(dir, d -> {
        model.save(d);
        ModelFolders.copyTokenizer(base, d);
      }), train.size(), "tokens");
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, d -> {
        model.save(d);
        ModelFolders.copyTokenizer(base, d);
      });
      Map<String, Double> finals = new LinkedHashMap<>(last);
      finals.put("eval/loss_initial", before);
      finals.put("eval/loss", heldOutLoss(model, encoding, data.heldOut(), context, run.lossChunkRows()));
      return new TrainingOutcome(out, finals);
    }
  }

  private static SequenceBatch batch(LmEncoding encoding, int[] rows, List<TextExample> examples, int context) {
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      TextExample example = examples.get(rows[i]);
      sequences.add(encoding.full(example.prompt(), example.completion()));
      starts[i] = example.prompt().isEmpty() ? 1 : encoding.prompt(example.prompt()).length;
    }
    return SequenceBatch.of(sequences, starts, context);
  }

  /** Token-mean next-token cross-entropy, chunked over positions from the final hidden states. */
  private static NDArray nextTokenLoss(LlamaModel model, SequenceBatch batch, NDManager m, int chunkRows) {
    NDArray hidden = batch.predictionRows(model.hiddenStates(batch.idsArray(m), batch.maskArray(m)));
    return ChunkedHeadLoss.crossEntropy(hidden, ChunkedHeadLoss.headWeight(model), batch.targetMask(), batch.targets(), chunkRows);
  }

  private static double heldOutLoss(LlamaModel model, LmEncoding encoding, List<TextExample> heldOut, int context, int chunkRows) {
    int[] rows = java.util.stream.IntStream.range(0, heldOut.size()).toArray();
    try (NDManager m = model.parameters().manager().newSubManager()) {
      return nextTokenLoss(model, batch(encoding, rows, heldOut, context), m, chunkRows).getFloat();
    }
  }

  private static TrainingOutcome classifier(TrainingRun run) {
    JobSpec spec = run.spec();
    Budget budget = spec.budget();
    Path base = run.modelDir("spec.model", spec.model());
    LabeledData[] split = TrainingData.classification(run.dataset());
    LabeledData train = split[0];
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         Classifier model = Classifier.load(root, loop.weightsDir(base));
         Optimisation optimisation = new Optimisation(model.parameters(), budget)) {
      int batchSize = budget.batchSize();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * batchSize, batchSize);
          try (NDManager m = root.newSubManager()) {
            NDArray[] batch = train.batch(m, rows);
            long[] labels = batch[1].toLongArray();
            optimisation.backward(() -> CrossEntropyMix.crossEntropy(model.logits(batch[0]), null, labels), rows.length);
          }
        }
        return new TrainingLoop.StepOutput(Map.of(),
            (long) batchSize * optimisation.accumulation(), 0);
      }, dir -> ModelFolders.save(dir, model::save), train.size(), "samples");
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, model::save);
      Map<String, Double> finals = new LinkedHashMap<>(last);
      finals.put("eval/accuracy", dev.divergence.model.assets.ClassifierTraining.accuracy(model, split[1]));
      return new TrainingOutcome(out, finals);
    }
  }
}
