package dev.divergence.training.trainer.data;

import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.variants.SplitDataset;
import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A dataset's records as JSON objects in its kind's schema, each with its split and its index, for
 * readers outside the trainers (the evaluation service). The splits are exactly the trainers' ones
 * ({@link TrainingData}):
 * <ul>
 *   <li>generated text and preference sets: the generated training records (index 0..n-1), then the
 *       held-out records generated from another seed;</li>
 *   <li>classification sets, built in or uploaded: the source rows in their order (a built-in set's
 *       row of its bundled table, an upload's line), each in the train or test part of the shuffled
 *       split the trainers use; features are the float32 values the trainers see. A built-in variant
 *       (libs/model's DatasetVariants) has its source's rows and split, shifted; a subset variant
 *       (digits-base, digits-novel) keeps only its classes' rows, and {@code index} counts those;</li>
 *   <li>uploaded text and preference sets: the lines as uploaded, the last tenth (at most
 *       {@value TrainingData#HELD_OUT_SIZE}) being the test split. A one-record upload has no test
 *       split (the trainers evaluate on its one record).</li>
 * </ul>
 */
public final class DatasetRecords {

  public static final String TRAIN = "train";
  public static final String TEST = "test";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DatasetRecords() {
  }

  /** One record: {@code json} is a JSON object in the dataset kind's schema. */
  public record Record(long index, String split, String json) {}

  public record Counts(long train, long test) {
    public long total() {
      return train + test;
    }
  }

  /** Records read in index order; close it to release the file of an upload. */
  public interface Cursor extends AutoCloseable {
    /** Up to {@code max} further records; empty at the end. */
    List<Record> next(int max);

    @Override
    void close();
  }

  /** Whether {@code split} names a split ({@code null} or empty = every record is allowed too). */
  public static boolean isSplit(String split) {
    return split == null || split.isEmpty() || TRAIN.equals(split) || TEST.equals(split);
  }

  public static Counts counts(RegisteredDataset dataset) {
    if (isStreamedUpload(dataset)) {
      long held = TrainingData.heldOutTailSize(dataset.records());
      return new Counts(dataset.records() - held, held);
    }
    List<Record> all = inMemory(dataset);
    long test = all.stream().filter(r -> r.split().equals(TEST)).count();
    return new Counts(all.size() - test, test);
  }

  /**
   * The records of {@code split} ({@code null} or empty = all), skipping the first {@code offset}
   * of them and ending after {@code limit} ({@code 0} = no end). Arguments are assumed checked.
   */
  public static Cursor open(RegisteredDataset dataset, String split, long offset, long limit) {
    Stream<Record> all = isStreamedUpload(dataset) ? uploadLines(dataset) : inMemory(dataset).stream();
    Optional<String> only = split == null || split.isEmpty() ? Optional.empty() : Optional.of(split);
    Stream<Record> selected = all.filter(r -> only.isEmpty() || only.get().equals(r.split()))
        .skip(offset).limit(limit == 0 ? Long.MAX_VALUE : limit);
    Iterator<Record> records = selected.iterator();
    return new Cursor() {
      @Override
      public List<Record> next(int max) {
        List<Record> batch = new ArrayList<>(Math.min(max, 1024));
        while (batch.size() < max && records.hasNext()) {
          batch.add(records.next());
        }
        return batch;
      }

      @Override
      public void close() {
        selected.close();
      }
    };
  }

  /** Uploaded text and preference sets are read line by line; everything else is small or parsed whole anyway. */
  private static boolean isStreamedUpload(RegisteredDataset dataset) {
    return !dataset.builtIn() && dataset.kind() != DatasetKind.CLASSIFICATION;
  }

  private static Stream<Record> uploadLines(RegisteredDataset dataset) {
    long train = dataset.records() - TrainingData.heldOutTailSize(dataset.records());
    Path file = dataset.uri().startsWith("file:") ? Path.of(URI.create(dataset.uri())) : Path.of(dataset.uri());
    BufferedReader reader;
    try {
      reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dataset " + file, e);
    }
    AtomicLong index = new AtomicLong();
    // the upload stored each validated record on its own line, verbatim; blank lines were dropped then
    return reader.lines().filter(line -> !line.isBlank()).map(line -> {
      long i = index.getAndIncrement();
      return new Record(i, i < train ? TRAIN : TEST, line);
    }).onClose(() -> {
      try {
        reader.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private static List<Record> inMemory(RegisteredDataset dataset) {
    return switch (dataset.kind()) {
      case CLASSIFICATION -> classification(dataset);
      case TEXT -> {
        TrainingData.Split<TextExample> split = TrainingData.text(dataset);
        yield generated(split, DatasetRecords::textJson);
      }
      case PREFERENCE -> {
        TrainingData.Split<PreferenceExample> split = TrainingData.preference(dataset);
        yield generated(split, DatasetRecords::preferenceJson);
      }
      // verifiable sets are uploads only, always streamed
      case VERIFIABLE -> throw new IllegalStateException("no built-in verifiable dataset: " + dataset.name());
    };
  }

  private static <T> List<Record> generated(TrainingData.Split<T> split, java.util.function.Function<T, String> json) {
    List<Record> out = new ArrayList<>(split.train().size() + split.heldOut().size());
    for (T example : split.train()) {
      out.add(new Record(out.size(), TRAIN, json.apply(example)));
    }
    for (T example : split.heldOut()) {
      out.add(new Record(out.size(), TEST, json.apply(example)));
    }
    return out;
  }

  /**
   * The source rows in order, each marked with the part of {@link TrainingData#classification}'s split
   * it is in. The split's parts hold the very row arrays of the whole set (it selects rows, it does not
   * copy them), so membership is found by identity, without repeating the shuffle here.
   */
  private static List<Record> classification(RegisteredDataset dataset) {
    SplitDataset data = TrainingData.classificationSplit(dataset);
    LabeledData all = data.all();
    Map<float[], String> splitOf = new IdentityHashMap<>();
    for (float[] row : data.train().features()) {
      splitOf.put(row, TRAIN);
    }
    for (float[] row : data.test().features()) {
      splitOf.put(row, TEST);
    }
    List<Record> out = new ArrayList<>(all.size());
    for (int i = 0; i < all.size(); i++) {
      String split = splitOf.get(all.features()[i]);
      if (split == null) {
        throw new IllegalStateException("row " + i + " of dataset '" + dataset.name() + "' is in neither split");
      }
      out.add(new Record(i, split, classificationJson(all.features()[i], all.labels()[i])));
    }
    return out;
  }

  static String classificationJson(float[] features, int label) {
    ObjectNode node = JSON.createObjectNode();
    var array = node.putArray("features");
    for (float value : features) {
      array.add(value);
    }
    node.put("label", label);
    return JSON.writeValueAsString(node);
  }

  private static String textJson(TextExample example) {
    ObjectNode node = JSON.createObjectNode();
    if (example.prompt().isEmpty()) {
      node.put("text", example.completion());
    } else {
      node.put("prompt", example.prompt());
      node.put("completion", example.completion());
    }
    return JSON.writeValueAsString(node);
  }

  private static String preferenceJson(PreferenceExample example) {
    ObjectNode node = JSON.createObjectNode();
    node.put("prompt", example.prompt());
    node.put("chosen", example.chosen());
    node.put("rejected", example.rejected());
    return JSON.writeValueAsString(node);
  }
}
