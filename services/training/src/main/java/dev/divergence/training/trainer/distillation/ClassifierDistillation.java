package dev.divergence.training.trainer.distillation;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.classifier.Classifier;
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
import dev.divergence.training.trainer.data.TrainingData;
import dev.divergence.training.trainer.loss.DistillationLoss;
import dev.divergence.training.trainer.loss.DistillationLosses;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Distils a classifier teacher into a classifier student (breast-cancer MLPs, digits CNNs) on a
 * classification dataset: per step a shuffled mini-batch, teacher logits (frozen), the job's loss on
 * the student's logits. Final metrics include the held-out (test split) divergence before and after.
 */
final class ClassifierDistillation {

  private ClassifierDistillation() {
  }

  static TrainingOutcome train(TrainingRun run) {
    JobSpec spec = run.spec();
    DistillationSpec method = spec.distillation();
    Budget budget = spec.budget();
    DjlRuntime.configure(run.dataDir().resolve("djl"));
    Path studentBase = run.modelDir("spec.model", spec.model());
    Path teacherDir = run.modelDir("spec.distillation.teacherModel", method.teacherModel());
    LabeledData[] split = TrainingData.classification(run.dataset());
    LabeledData train = split[0];
    LabeledData test = split[1];
    DistillationLoss loss = DistillationLosses.create(method, true);
    TrainingLoop loop = new TrainingLoop(run);
    try (NDManager root = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
         Classifier teacher = Classifier.load(root, teacherDir);
         Classifier student = Classifier.load(root, loop.weightsDir(studentBase));
         Optimisation optimisation = new Optimisation(student.parameters(), budget)) {
      requireSameClasses(teacher, student);
      Map<String, Double> before = evaluate(teacher, student, test);
      int batchSize = budget.batchSize();
      Map<String, Double> last = loop.run(optimisation, (step, seen) -> {
        StepMetrics metrics = new StepMetrics();
        for (int micro = 0; micro < optimisation.accumulation(); micro++) {
          int[] rows = StepRandom.rows(budget.seed(), train.size(), seen + (long) micro * batchSize, batchSize);
          try (NDManager m = root.newSubManager()) {
            NDArray[] batch = train.batch(m, rows);
            long[] labels = batch[1].toLongArray();
            NDArray teacherLogits = teacher.logits(batch[0]).stopGradient();
            // per-sample means (batch-wise losses: one value per batch of equal size)
            optimisation.backward(() -> {
              NDArray studentLogits = student.logits(batch[0]);
              metrics.addAll(DistillationMetrics.of(loss, teacherLogits, studentLogits, null, labels), rows.length);
              return loss.compute(teacherLogits, studentLogits, null, labels);
            }, rows.length);
          }
        }
        return new TrainingLoop.StepOutput(metrics.means(),
            (long) batchSize * optimisation.accumulation(), 0);
      }, dir -> ModelFolders.save(dir, student::save), train.size(), "samples");
      Map<String, Double> after = evaluate(teacher, student, test);
      Path out = run.workDir().resolve("model");
      ModelFolders.save(out, student::save);
      Map<String, Double> finals = new LinkedHashMap<>(last);
      before.forEach((k, v) -> finals.put(k + "_initial", v));
      finals.putAll(after);
      run.log(String.format("held-out KL(teacher||student) %.4f -> %.4f, student accuracy %.3f -> %.3f",
          before.get("eval/divergence/kl"), after.get("eval/divergence/kl"), before.get("eval/accuracy"), after.get("eval/accuracy")));
      return new TrainingOutcome(out, finals);
    }
  }

  /** Held-out KL(teacher||student) at temperature 1, student and teacher accuracy. */
  static Map<String, Double> evaluate(Classifier teacher, Classifier student, LabeledData data) {
    int[] rows = java.util.stream.IntStream.range(0, data.size()).toArray();
    try (NDManager m = student.parameters().manager().newSubManager()) {
      NDArray[] batch = data.batch(m, rows);
      NDArray t = teacher.logits(batch[0]);
      NDArray s = student.logits(batch[0]);
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("eval/divergence/kl", DistillationMetrics.commonKl(t, s, null));
      out.put("eval/accuracy", accuracy(s, data.labels()));
      out.put("eval/teacher_accuracy", accuracy(t, data.labels()));
      return out;
    }
  }

  private static double accuracy(NDArray logits, int[] labels) {
    long[] predicted = logits.argMax(-1).toLongArray();
    int correct = 0;
    for (int i = 0; i < predicted.length; i++) {
      correct += predicted[i] == labels[i] ? 1 : 0;
    }
    return (double) correct / Math.max(1, predicted.length);
  }

  private static void requireSameClasses(Classifier teacher, Classifier student) {
    if (teacher.spec().numClasses() != student.spec().numClasses() || teacher.spec().inputDim() != student.spec().inputDim()) {
      throw new IllegalArgumentException("teacher and student must share input size and classes: teacher "
          + teacher.spec().inputDim() + " -> " + teacher.spec().numClasses() + ", student " + student.spec().inputDim()
          + " -> " + student.spec().numClasses());
    }
  }
}
