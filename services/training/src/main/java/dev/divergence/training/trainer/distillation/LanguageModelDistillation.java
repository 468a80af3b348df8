package dev.divergence.training.trainer.distillation;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.JobSpec;
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
import dev.divergence.training.trainer.loss.DistillationLoss;
import dev.divergence.training.trainer.loss.DistillationLosses;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Distils a teacher language model into a student on text, token by token (GKD-style). Each
 * micro-batch trains on one of three sources:
 * <ul>
 *   <li>with probability {@code onPolicyFraction} (GKD's lambda), sequences the student samples
 *       from the examples' prompts (on-policy; the loss covers the generated tokens);</li>
 *   <li>otherwise, with {@code sequenceLevel}, sequences the teacher samples (sequence-level KD);</li>
 *   <li>otherwise the dataset's own text.</li>
 * </ul>
 * The teacher's logits on the same tokens are the target (top-k of them when {@code topK > 0}).
 * The choice per micro-batch is drawn from (seed, step), so a resumed run makes the same choices.
 */
final class LanguageModelDistillation {

  /** Longest generation for on-policy / sequence-level sequences (the arithmetic answers are short). */
  static final int MAX_NEW_TOKENS = 12;

  private LanguageModelDistillation() {
  }

  enum Source { DATA, STUDENT, TEACHER }

  static TrainingOutcome train(TrainingRun run) {
    JobSpec spec = run.spec();
    DistillationSpec method = spec.distillation();
    Budget budget = spec.budget();
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    Path studentBase = run.modelDir("spec.model", spec.model());
    Path teacherDir = run.modelDir("spec.distillation.teacherModel", method.teacherModel());
    TrainingData.Split<TextExample> data = TrainingData.text(run.dataset());
    DistillationLoss loss = DistillationLosses.create(method, false);
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(studentBase);
         LlamaModel teacher = LlamaModel.load(root, teacherDir);
         LlamaModel student = LlamaModel.load(root, loop.weightsDir(studentBase));
         Optimisation optimisation = new Optimisation(student.parameters(), budget)) {
      if (teacher.config().vocabSize() != student.config().vocabSize()) {
        throw new IllegalArgumentException("teacher and student vocabularies differ (" + teacher.config().vocabSize()
            + " vs " + student.config().vocabSize() + "): token-level distillation needs one vocabulary");
      }
      LmEncoding encoding = new LmEncoding(tokenizer, student.config());
      int context = Math.min(teacher.config().maxPositionEmbeddings(), student.config().maxPositionEmbeddings());
      Map<String, Double> before = evaluate(teacher, student, encoding, data.heldOut(), context);
      List<TextExample> train = data.train();
      int batchSize = budget.batchSize();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        double lossSum = 0;
        long tokens = 0;
        int generated = 0;
        int onPolicy = 0;
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          long microIndex = step * optimisation.accumulation() + micro;
          SplittableRandom random = StepRandom.at(budget.seed(), microIndex, 1);
          Source source = random.nextDouble() < method.onPolicyFraction() ? Source.STUDENT
              : method.sequenceLevel() ? Source.TEACHER : Source.DATA;
          generated += source == Source.DATA ? 0 : 1;
          onPolicy += source == Source.STUDENT ? 1 : 0;
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * batchSize, batchSize);
          try (NDManager m = root.newSubManager()) {
            SequenceBatch batch = sequences(m, source, rows, train, encoding, teacher, student, random.nextLong(), context);
            NDArray ids = batch.idsArray(m);
            NDArray mask = batch.maskArray(m);
            NDArray teacherRows = batch.predictionRows(teacher.forward(ids, mask)).stopGradient();
            lossSum += optimisation.backward(() -> {
              NDArray studentRows = batch.predictionRows(student.forward(ids, mask));
              metrics.putAll(DistillationMetrics.of(loss, teacherRows, studentRows, batch.targetMask(), batch.targets()));
              return loss.compute(teacherRows, studentRows, batch.targetMask(), batch.targets());
            });
            tokens += batch.countedTokens();
          }
        }
        metrics.put("generated_fraction", (double) generated / optimisation.accumulation());
        metrics.put("on_policy_fraction", (double) onPolicy / optimisation.accumulation());
        return new TrainingLoop.StepOutput(lossSum / optimisation.accumulation(), metrics,
            (long) batchSize * optimisation.accumulation(), tokens);
      }, dir -> ModelFolders.save(dir, d -> {
        student.save(d);
        ModelFolders.copyTokenizer(studentBase, d);
      }), train.size(), "tokens");
      Map<String, Double> after = evaluate(teacher, student, encoding, data.heldOut(), context);
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, d -> {
        student.save(d);
        ModelFolders.copyTokenizer(studentBase, d);
      });
      Map<String, Double> finals = new LinkedHashMap<>(last);
      before.forEach((k, v) -> finals.put(k + "_initial", v));
      finals.putAll(after);
      run.log(String.format("held-out KL(teacher||student) %.4f -> %.4f", before.get("eval/divergence/kl"), after.get("eval/divergence/kl")));
      return new TrainingOutcome(out, finals);
    }
  }

  /** The micro-batch's token sequences from the chosen source, with where each one's loss starts. */
  static SequenceBatch sequences(NDManager m, Source source, int[] rows, List<TextExample> train, LmEncoding encoding,
      LlamaModel teacher, LlamaModel student, long seed, int context) {
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      TextExample example = train.get(rows[i]);
      if (source == Source.DATA) {
        sequences.add(encoding.full(example.prompt(), example.completion()));
        starts[i] = example.prompt().isEmpty() ? 1 : encoding.prompt(example.prompt()).length;
      } else {
        long[] prompt = encoding.prompt(example.generationPrompt());
        Generator generator = new Generator(source == Source.STUDENT ? student : teacher);
        int room = Math.max(0, Math.min(MAX_NEW_TOKENS, context - prompt.length));
        long[] completion = generator.generate(m, prompt, GenerationConfig.sampling(room, 1.0, 0, 1.0, seed + i)).tokens();
        sequences.add(LmEncoding.concat(prompt, completion));
        starts[i] = prompt.length;
      }
    }
    return SequenceBatch.of(sequences, starts, context);
  }

  /** Held-out token-mean KL(teacher||student) at temperature 1 on the held-out texts. */
  static Map<String, Double> evaluate(LlamaModel teacher, LlamaModel student, LmEncoding encoding, List<TextExample> heldOut, int context) {
    List<long[]> sequences = new ArrayList<>();
    int[] starts = new int[heldOut.size()];
    for (int i = 0; i < heldOut.size(); i++) {
      sequences.add(encoding.full(heldOut.get(i).prompt(), heldOut.get(i).completion()));
      starts[i] = 1;
    }
    SequenceBatch batch = SequenceBatch.of(sequences, starts, context);
    try (NDManager m = student.parameters().manager().newSubManager()) {
      NDArray ids = batch.idsArray(m);
      NDArray mask = batch.maskArray(m);
      NDArray t = batch.predictionRows(teacher.forward(ids, mask));
      NDArray s = batch.predictionRows(student.forward(ids, mask));
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("eval/divergence/kl", DistillationMetrics.commonKl(t, s, batch.targetMask()));
      return out;
    }
  }
}
