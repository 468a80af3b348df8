package dev.divergence.training.trainer.distillation;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.training.trainer.distillation.cache.TeacherCacheBuilder;
import dev.divergence.training.trainer.distillation.cache.TeacherCacheIdentity;
import dev.divergence.training.trainer.distillation.cache.TeacherLogitCache;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.training.job.Budget;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.trainer.TrainingOutcome;
import dev.divergence.training.trainer.TrainingRun;
import dev.divergence.training.trainer.common.ModelFolders;
import dev.divergence.training.trainer.common.Optimisation;
import dev.divergence.training.trainer.common.StepMetrics;
import dev.divergence.training.trainer.common.StepRandom;
import dev.divergence.training.trainer.common.TrainingLoop;
import dev.divergence.training.trainer.data.LmEncoding;
import dev.divergence.training.trainer.data.SequenceBatch;
import dev.divergence.training.trainer.data.TextExample;
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.loss.DistillationLoss;
import dev.divergence.training.trainer.loss.DistillationLosses;
import dev.divergence.training.trainer.loss.DivergenceLogitsLoss;
import dev.divergence.math.divergence.DivergenceRegistry;
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
 * The teacher's logits on the same tokens are the target (top-k of them when {@code topK > 0}), or,
 * with a teacher cache, the teacher's top-k read from the job's cache file (dataset text only).
 * The choice per micro-batch is drawn from (seed, step), so a resumed run makes the same choices.
 * Generations are at most {@code maxNewTokens} long (and stop at the context's end).
 */
final class LanguageModelDistillation {

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
    boolean cached = method.teacherCache() != null;
    LlamaConfig teacherConfig = LlamaConfig.read(teacherDir);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         TextTokenizer tokenizer = Tokenizers.load(studentBase);
         // with a teacher-logit cache the teacher is loaded only if the cache has to be built
         LlamaModel teacher = cached ? null : LlamaModel.load(root, teacherDir);
         LlamaModel student = LlamaModel.load(root, loop.weightsDir(studentBase));
         Optimisation optimisation = new Optimisation(student.parameters(), budget)) {
      if (teacherConfig.vocabSize() != student.config().vocabSize()) {
        throw new IllegalArgumentException("teacher and student vocabularies differ (" + teacherConfig.vocabSize()
            + " vs " + student.config().vocabSize() + "): token-level distillation needs one vocabulary");
      }
      LmEncoding encoding = new LmEncoding(tokenizer, student.config());
      int context = Math.min(teacherConfig.maxPositionEmbeddings(), student.config().maxPositionEmbeddings());
      List<TextExample> train = data.train();
      try (TeacherLogitCache cache = cached ? cache(run, root, teacherDir, encoding, data, context) : null) {
        CachedTeacher cachedTeacher = cache == null ? null : new CachedTeacher(cache, train.size(), method.temperature());
        Map<String, Double> before = evaluate(teacher, cachedTeacher, student, encoding, data.heldOut(), context, run.lossChunkRows());
        int batchSize = budget.batchSize();
        Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
          long tokens = 0;
          int generated = 0;
          int onPolicy = 0;
          StepMetrics metrics = new StepMetrics();
          for (int micro = 0; micro < optimisation.accumulation(); micro++) {
            long microIndex = step * optimisation.accumulation() + micro;
            SplittableRandom random = StepRandom.at(budget.seed(), microIndex, 1);
            Source source = random.nextDouble() < method.onPolicyFraction() ? Source.STUDENT
                : method.sequenceLevel() ? Source.TEACHER : Source.DATA;
            generated += source == Source.DATA ? 0 : 1;
            onPolicy += source == Source.STUDENT ? 1 : 0;
            int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * batchSize, batchSize);
            try (NDManager m = root.newSubManager()) {
              SequenceBatch batch = sequences(m, source, rows, train, encoding, teacher, student, random.nextLong(), context,
                  method.maxNewTokens());
              // token means: the micro-batch's loss and metrics weigh as many as its counted tokens
              int counted = batch.countedTokens();
              Map<String, Double> microMetrics = new LinkedHashMap<>();
              NDArray ids = batch.idsArray(m);
              NDArray mask = batch.maskArray(m);
              if (loss.chunked()) {
                ChunkedDistillation.Teacher target = cachedTeacher != null
                    ? new ChunkedDistillation.Teacher.Cached(cachedTeacher.forTraining(batch, rows), method.temperature())
                    : new ChunkedDistillation.Teacher.Live(
                        batch.predictionRows(teacher.hiddenStates(ids, mask)).stopGradient(), ChunkedDistillation.headWeight(teacher));
                optimisation.backward(() -> ChunkedDistillation.loss(loss,
                    batch.predictionRows(student.hiddenStates(ids, mask)), ChunkedDistillation.headWeight(student), target, batch,
                    run.lossChunkRows(), microMetrics), counted);
              } else if (cachedTeacher != null) {
                TopKTeacher target = cachedTeacher.forTraining(batch, rows);
                optimisation.backward(() -> {
                  NDArray studentRows = batch.predictionRows(student.forward(ids, mask));
                  microMetrics.putAll(DistillationMetrics.ofTopK(loss, target, studentRows, batch.targetMask(), batch.targets(),
                      method.temperature()));
                  return loss.computeTopK(target, studentRows, batch.targetMask(), batch.targets());
                }, counted);
              } else {
                NDArray teacherRows = batch.predictionRows(teacher.forward(ids, mask)).stopGradient();
                optimisation.backward(() -> {
                  NDArray studentRows = batch.predictionRows(student.forward(ids, mask));
                  microMetrics.putAll(DistillationMetrics.of(loss, teacherRows, studentRows, batch.targetMask(), batch.targets()));
                  return loss.compute(teacherRows, studentRows, batch.targetMask(), batch.targets());
                }, counted);
              }
              metrics.addAll(microMetrics, counted);
              tokens += counted;
            }
          }
          Map<String, Double> stepMetrics = metrics.means();
          stepMetrics.put("generated_fraction", (double) generated / optimisation.accumulation());
          stepMetrics.put("on_policy_fraction", (double) onPolicy / optimisation.accumulation());
          return new TrainingLoop.StepOutput(stepMetrics,
              (long) batchSize * optimisation.accumulation(), tokens);
        }, dir -> ModelFolders.save(dir, d -> {
          student.save(d);
          ModelFolders.copyTokenizer(studentBase, d);
        }), train.size(), "tokens");
        Map<String, Double> after = evaluate(teacher, cachedTeacher, student, encoding, data.heldOut(), context, run.lossChunkRows());
        Path out = run.workDir().resolve("model");
        ModelFolders.save(out, d -> {
          student.save(d);
          ModelFolders.copyTokenizer(studentBase, d);
        });
        Map<String, Double> finals = new LinkedHashMap<>(last);
        before.forEach((k, v) -> finals.put(k + "_initial", v));
        finals.putAll(after);
        String metric = cachedTeacher == null ? "eval/divergence/kl" : "eval/divergence/kl_topk";
        run.log(String.format("held-out %s %.4f -> %.4f", metric, before.get(metric), after.get(metric)));
        return new TrainingOutcome(out, finals);
      }
    }
  }

  /**
   * The job's teacher-logit cache over the training texts followed by the held-out texts (each
   * encoded as training encodes it and cut to the context), built on first use.
   */
  static TeacherLogitCache cache(TrainingRun run, NDManager root, Path teacherDir, LmEncoding encoding,
      TrainingData.Split<TextExample> data, int context) {
    DistillationSpec method = run.spec().distillation();
    List<long[]> sequences = new ArrayList<>();
    for (TextExample example : data.train()) {
      sequences.add(cut(encoding.full(example.prompt(), example.completion()), context));
    }
    for (TextExample example : data.heldOut()) {
      sequences.add(cut(encoding.full(example.prompt(), example.completion()), context));
    }
    TeacherCacheIdentity identity = TeacherCacheBuilder.identity(method.teacherModel(), teacherDir, run.dataset().name(),
        sequences, method.temperature(), method.teacherCache().topK(), context);
    return TeacherCacheBuilder.openOrBuild(run.jobDir(), identity, sequences, root, m -> LlamaModel.load(m, teacherDir), run::log);
  }

  private static long[] cut(long[] sequence, int context) {
    return sequence.length <= context ? sequence : java.util.Arrays.copyOf(sequence, context);
  }

  /** A cache whose records are the training examples, then the held-out examples. */
  record CachedTeacher(TeacherLogitCache cache, int trainRecords, double temperature) {

    TopKTeacher forTraining(SequenceBatch batch, int[] trainRows) {
      return cache.teacherFor(batch, trainRows);
    }

    TopKTeacher forHeldOut(SequenceBatch batch) {
      int[] records = new int[batch.batch()];
      for (int i = 0; i < records.length; i++) {
        records[i] = trainRecords + i;
      }
      return cache.teacherFor(batch, records);
    }
  }

  /** The micro-batch's token sequences from the chosen source, with where each one's loss starts. */
  static SequenceBatch sequences(NDManager m, Source source, int[] rows, List<TextExample> train, LmEncoding encoding,
      LlamaModel teacher, LlamaModel student, long seed, int context, int maxNewTokens) {
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
        int room = Math.max(0, Math.min(maxNewTokens, context - prompt.length));
        long[] completion = generator.generate(m, prompt, GenerationConfig.sampling(room, 1.0, 0, 1.0, seed + i)).tokens();
        sequences.add(LmEncoding.concat(prompt, completion));
        starts[i] = prompt.length;
      }
    }
    return SequenceBatch.of(sequences, starts, context);
  }

  /**
   * Held-out token-mean KL(teacher||student) at temperature 1 on the held-out texts; with a cache,
   * the KL on the cache's k+1 bins at the cache's temperature ({@code eval/divergence/kl_topk}).
   */
  static Map<String, Double> evaluate(LlamaModel teacher, CachedTeacher cachedTeacher, LlamaModel student, LmEncoding encoding,
      List<TextExample> heldOut, int context, int chunkRows) {
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
      // chunked like the training loss (no [rows, V] logits), no gradient recorded
      double temperature = cachedTeacher == null ? 1.0 : cachedTeacher.temperature();
      DistillationLoss kl = new DivergenceLogitsLoss("kl", DivergenceRegistry.create("kl"), temperature, 0);
      ChunkedDistillation.Teacher target = cachedTeacher != null
          ? new ChunkedDistillation.Teacher.Cached(cachedTeacher.forHeldOut(batch), temperature)
          : new ChunkedDistillation.Teacher.Live(batch.predictionRows(teacher.hiddenStates(ids, mask)).stopGradient(),
              ChunkedDistillation.headWeight(teacher));
      Map<String, Double> metrics = new LinkedHashMap<>();
      ChunkedDistillation.loss(kl, batch.predictionRows(student.hiddenStates(ids, mask)).stopGradient(),
          ChunkedDistillation.headWeight(student).stopGradient(), target, batch, chunkRows, metrics);
      String metric = cachedTeacher == null ? "divergence/kl" : "divergence/kl_topk";
      return new LinkedHashMap<>(Map.of("eval/" + metric, metrics.get(metric)));
    }
  }
}
