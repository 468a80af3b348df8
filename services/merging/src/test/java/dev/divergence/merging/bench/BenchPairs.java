package dev.divergence.merging.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.Parameters;
import dev.divergence.model.assets.ClassifierTraining;
import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * The generalist / expert pairs {@link MergingBenchmark} times, with the batch of 64 held-out rows.
 *
 * <ul>
 *   <li>{@code digits_cnn}: libs/model's built-in {@value TinyAssets#DIGITS_GENERALIST} /
 *       {@value TinyAssets#DIGITS_EXPERT}, made the way the merging service makes them (TinyAssets,
 *       the service's default of {@value #CLASSIFIER_STEPS} steps); 8x8 CNN, conv 1->8 (3x3), conv
 *       8->16 (3x3, stride 2), linear 256->10.</li>
 *   <li>{@code breast_cancer_mlp}: the built-in {@value TinyAssets#CANCER_TEACHER} (MLP 30->32->32->2,
 *       input standardisation folded into its first layer) as generalist and, because no built-in MLP
 *       shares its architecture, a benchmark-only expert: the same model fine-tuned
 *       ({@value #CANCER_EXPERT_STEPS} steps, learning rate 1e-3) on the training split's rows with a
 *       mean radius below the median (a narrower population), in standardised coordinates, then
 *       folded back. It is written once under the data folder as {@value #CANCER_EXPERT}/1, so the
 *       PyTorch script loads the very same file.</li>
 * </ul>
 * The held-out rows: the test part of the split TinyAssets trains on (fraction 0.8, its seed), the
 * first 64.
 */
final class BenchPairs {

  /** The merging service's default training budget for a built-in classifier (MergingProperties). */
  static final int CLASSIFIER_STEPS = 300;
  static final String CANCER_EXPERT = "bench-breast-cancer-mlp-expert";
  static final int CANCER_EXPERT_STEPS = 100;
  /** TinyAssets' (package-private) seed of its train / test split: the rows below are ones the models never saw. */
  static final long ASSET_SPLIT_SEED = 20251126L;

  record Pair(String name, Classifier generalist, Classifier expert, Path generalistDir, Path expertDir, float[][] rows) {
  }

  private BenchPairs() {
  }

  static Pair digits(NDManager manager, TinyAssets assets) {
    Path expertDir = assets.ensure(manager, TinyAssets.DIGITS_EXPERT);
    Path generalistDir = assets.ensure(manager, TinyAssets.DIGITS_GENERALIST);
    LabeledData test = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, ASSET_SPLIT_SEED)[1];
    return new Pair("digits_cnn", Classifier.load(manager, generalistDir), Classifier.load(manager, expertDir), generalistDir,
        expertDir, Arrays.copyOf(test.features(), MergingBenchmark.BATCH));
  }

  static Pair breastCancer(NDManager manager, TinyAssets assets, Path data) {
    Path generalistDir = assets.ensure(manager, TinyAssets.CANCER_TEACHER);
    Path expertDir = data.resolve("models").resolve(CANCER_EXPERT).resolve("1");
    LabeledData[] split = Datasets.breastCancer().split(TinyAssets.TRAIN_FRACTION, ASSET_SPLIT_SEED);
    if (!Files.isRegularFile(expertDir.resolve("model.safetensors"))) {
      buildCancerExpert(manager, generalistDir, expertDir, split[0]);
    }
    return new Pair("breast_cancer_mlp", Classifier.load(manager, generalistDir), Classifier.load(manager, expertDir), generalistDir,
        expertDir, Arrays.copyOf(split[1].features(), MergingBenchmark.BATCH));
  }

  private static void buildCancerExpert(NDManager manager, Path generalistDir, Path expertDir, LabeledData train) {
    int d = train.dim();
    // the same standardisation as TinyAssets' (population std over the training split, float32)
    float[] mean = new float[d];
    float[] std = new float[d];
    for (int j = 0; j < d; j++) {
      double sum = 0;
      double sq = 0;
      for (float[] row : train.features()) {
        sum += row[j];
        sq += (double) row[j] * row[j];
      }
      mean[j] = (float) (sum / train.size());
      std[j] = (float) Math.max(Math.sqrt(Math.max(sq / train.size() - mean[j] * (double) mean[j], 0)), 1e-6);
    }
    float[] radius = new float[train.size()];
    for (int i = 0; i < radius.length; i++) {
      radius[i] = train.features()[i][0];
    }
    float[] sorted = radius.clone();
    Arrays.sort(sorted);
    float median = sorted[sorted.length / 2];
    int kept = 0;
    for (float r : radius) {
      kept += r < median ? 1 : 0;
    }
    float[][] x = new float[kept][];
    int[] y = new int[kept];
    int k = 0;
    for (int i = 0; i < radius.length; i++) {
      if (radius[i] < median) {
        x[k] = new float[d];
        for (int j = 0; j < d; j++) {
          x[k][j] = (train.features()[i][j] - mean[j]) / std[j];
        }
        y[k++] = train.labels()[i];
      }
    }
    try (NDManager m = manager.newSubManager()) {
      Classifier model = Classifier.load(m, generalistDir);
      Parameters p = model.parameters();
      NDArray stdRow = m.create(std).reshape(1, d);
      NDArray meanColumn = m.create(mean).reshape(d, 1);
      // unfold: the saved layer is W' = W / std, b' = b - W' mean, so W = W' std and b = b' + W' mean
      NDArray folded = p.get("layers.0.weight");
      long out = folded.getShape().get(0);
      p.put("layers.0.bias", p.get("layers.0.bias").add(folded.matMul(meanColumn).reshape(new Shape(out))));
      p.put("layers.0.weight", folded.mul(stdRow));
      ClassifierTraining.train(model, new LabeledData(x, y, train.classNames()), CANCER_EXPERT_STEPS, 1e-3, ASSET_SPLIT_SEED + 7);
      NDArray w = p.get("layers.0.weight").stopGradient().div(stdRow);
      NDArray b = p.get("layers.0.bias").stopGradient().sub(w.matMul(meanColumn).reshape(new Shape(out)));
      Parameters foldedBack = p.copy(m);
      foldedBack.put("layers.0.weight", w);
      foldedBack.put("layers.0.bias", b);
      publish(expertDir, tmp -> new Classifier(model.spec(), foldedBack).save(tmp));
    }
  }

  private interface Writer {
    void write(Path dir);
  }

  /** Writes into a temporary sibling and renames it into place, so a reader never sees half a model. */
  private static void publish(Path dir, Writer writer) {
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), ".building-");
      writer.write(tmp);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir, e);
    }
  }
}
