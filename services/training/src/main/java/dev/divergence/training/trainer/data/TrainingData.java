package dev.divergence.training.trainer.data;

import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.SyntheticCorpus;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.assets.variants.DatasetVariants;
import dev.divergence.model.assets.variants.SplitDataset;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The records of a dataset, built in or uploaded. Built-in data is generated deterministically:
 * <ul>
 *   <li>arithmetic (text): {@value #ARITHMETIC_SIZE} lines of libs/model's {@link SyntheticCorpus};</li>
 *   <li>arithmetic-preferences: {@value #PREFERENCE_SIZE} arithmetic prompts "a+b=" with the
 *       correct answer as chosen and a wrong one (off by 1 to 9) as rejected, each ending the line;</li>
 *   <li>digits, breast-cancer: libs/model's bundled data with the train/test split its built-in
 *       models were trained on (fraction {@link TinyAssets#TRAIN_FRACTION}, seed {@value #ASSET_SEED});</li>
 *   <li>their variants ({@link DatasetVariants}: digits-base, digits-novel, digits-noise-3, ...,
 *       breast-cancer-missing-5): shifted or subset rows of that same split.</li>
 * </ul>
 * A held-out part (test split, or records generated from another seed) serves the evaluations.
 */
public final class TrainingData {

  public static final int ARITHMETIC_SIZE = 20_000;
  public static final int PREFERENCE_SIZE = 4_000;
  public static final int HELD_OUT_SIZE = 128;
  /** TinyAssets' seed (package-private there): the split its classifiers were trained on. */
  static final long ASSET_SEED = 20251126L;
  private static final long TEXT_SEED = 515L;
  private static final long PREFERENCE_SEED = 616L;
  private static final long HELD_OUT_SEED = 717L;

  private TrainingData() {
  }

  /** Train and held-out examples. */
  public record Split<T>(List<T> train, List<T> heldOut) {}

  public static LabeledData[] classification(RegisteredDataset dataset) {
    SplitDataset split = classificationSplit(dataset);
    return new LabeledData[] {split.train(), split.test()};
  }

  /**
   * A classification dataset's records in their source order with the train/test split the trainers
   * use. Built-in sets (digits, breast-cancer and their registered variants) are libs/model's
   * {@link DatasetVariants}, the very rows merging and evaluation see; uploads are split by the same
   * seeded shuffle.
   */
  static SplitDataset classificationSplit(RegisteredDataset dataset) {
    requireKind(dataset, DatasetKind.CLASSIFICATION);
    if (dataset.builtIn() && DatasetVariants.isKnown(dataset.name())) {
      return DatasetVariants.load(dataset.name());
    }
    LabeledData all = uploadedClassification(dataset);
    LabeledData[] parts = all.split(TinyAssets.TRAIN_FRACTION, ASSET_SEED);
    return new SplitDataset(dataset.name(), all, parts[0], parts[1]);
  }

  public static Split<TextExample> text(RegisteredDataset dataset) {
    requireKind(dataset, DatasetKind.TEXT);
    if (dataset.builtIn() && dataset.name().equals("arithmetic")) {
      return new Split<>(asText(SyntheticCorpus.lines(ARITHMETIC_SIZE, TEXT_SEED)),
          asText(SyntheticCorpus.lines(HELD_OUT_SIZE, HELD_OUT_SEED)));
    }
    List<TextExample> all = Jsonl.read(dataset.uri(), node -> node.has("text")
        ? new TextExample("", Jsonl.text(node, "text"))
        : new TextExample(Jsonl.text(node, "prompt"), Jsonl.text(node, "completion")));
    return heldOutTail(all);
  }

  /**
   * A verifiable dataset's problems as prompt/completion examples: the completion is the record's
   * {@code answerField}, the prompt its {@code promptField}; the held-out part is the tail, as for
   * text uploads.
   */
  public static Split<TextExample> verifiable(RegisteredDataset dataset, String promptField, String answerField) {
    requireKind(dataset, DatasetKind.VERIFIABLE);
    List<TextExample> all = Jsonl.read(dataset.uri(), node -> new TextExample(Jsonl.text(node, promptField),
        Jsonl.text(node, answerField)));
    return heldOutTail(all);
  }

  public static Split<PreferenceExample> preference(RegisteredDataset dataset) {
    requireKind(dataset, DatasetKind.PREFERENCE);
    if (dataset.builtIn() && dataset.name().equals("arithmetic-preferences")) {
      return new Split<>(arithmeticPreferences(PREFERENCE_SIZE, PREFERENCE_SEED), arithmeticPreferences(HELD_OUT_SIZE, HELD_OUT_SEED));
    }
    List<PreferenceExample> all = Jsonl.read(dataset.uri(), node -> new PreferenceExample(
        Jsonl.text(node, "prompt"), Jsonl.text(node, "chosen"), Jsonl.text(node, "rejected")));
    return heldOutTail(all);
  }

  /** Prompt "a+b=" (or "a-b="), chosen the right answer, rejected one off by 1..9 (never negative). */
  public static List<PreferenceExample> arithmeticPreferences(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<PreferenceExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String line = SyntheticCorpus.arithmetic(random);
      int eq = line.indexOf('=');
      int answer = Integer.parseInt(line.substring(eq + 1));
      int offset = 1 + random.nextInt(9);
      int wrong = answer - offset >= 0 && random.nextBoolean() ? answer - offset : answer + offset;
      out.add(new PreferenceExample(line.substring(0, eq + 1), Integer.toString(answer), Integer.toString(wrong)));
    }
    return out;
  }

  private static List<TextExample> asText(List<String> lines) {
    return lines.stream().map(l -> new TextExample("", l)).toList();
  }

  /** Uploaded data: the last tenth (at most 128, at least 1 record when there are two) is held out. */
  private static <T> Split<T> heldOutTail(List<T> all) {
    int held = (int) heldOutTailSize(all.size());
    List<T> train = all.subList(0, all.size() - held);
    return new Split<>(train, held == 0 ? all : all.subList(all.size() - held, all.size()));
  }

  /** How many of an upload's {@code records} text or preference records are held out at its end. */
  static long heldOutTailSize(long records) {
    return records < 2 ? 0 : Math.max(1, Math.min(HELD_OUT_SIZE, records / 10));
  }

  private static LabeledData uploadedClassification(RegisteredDataset dataset) {
    List<float[]> features = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    Jsonl.read(dataset.uri(), node -> {
      float[] row = new float[node.get("features").size()];
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) node.get("features").get(i).asDouble();
      }
      features.add(row);
      labels.add(node.get("label").asInt());
      return Boolean.TRUE;
    });
    int classes = labels.stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    return new LabeledData(features.toArray(new float[0][]), labels.stream().mapToInt(Integer::intValue).toArray(),
        IntStream.range(0, classes).mapToObj(Integer::toString).toList());
  }

  private static void requireKind(RegisteredDataset dataset, DatasetKind kind) {
    if (dataset.kind() != kind) {
      throw new IllegalArgumentException("dataset '" + dataset.name() + "' holds " + dataset.kind().apiName()
          + " records, this trainer needs " + kind.apiName());
    }
  }
}
