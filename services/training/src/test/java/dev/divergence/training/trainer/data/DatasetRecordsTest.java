package dev.divergence.training.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.training.registry.DatasetKind;
import dev.divergence.training.registry.RegisteredDataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Splits of uploaded text and preference sets at their edges, read the way the trainers split them. */
class DatasetRecordsTest {

  @TempDir Path dir;

  private RegisteredDataset upload(String name, DatasetKind kind, List<String> lines) throws IOException {
    Path file = dir.resolve(name + ".jsonl");
    Files.write(file, lines, StandardCharsets.UTF_8);
    long records = lines.stream().filter(line -> !line.isBlank()).count();
    return new RegisteredDataset(name, kind, file.toUri().toString(), records, false, "uploaded JSONL", null);
  }

  private static List<String> texts(int n) {
    return IntStream.range(0, n).mapToObj(i -> "{\"text\":\"line " + i + "\"}").toList();
  }

  private static List<DatasetRecords.Record> readAll(RegisteredDataset dataset, String split, long offset, long limit) {
    List<DatasetRecords.Record> out = new ArrayList<>();
    try (DatasetRecords.Cursor cursor = DatasetRecords.open(dataset, split, offset, limit)) {
      for (List<DatasetRecords.Record> batch = cursor.next(7); !batch.isEmpty(); batch = cursor.next(7)) {
        assertThat(batch.size()).isLessThanOrEqualTo(7);
        out.addAll(batch);
      }
    }
    return out;
  }

  @Test
  void heldOutTailMatchesTheTrainersSplitAtEverySizeEdge() throws IOException {
    // n -> records held out: n < 2 none; else max(1, min(128, n / 10))
    int[][] cases = {{1, 0}, {2, 1}, {19, 1}, {20, 2}, {1280, 128}, {1500, 128}};
    for (int[] c : cases) {
      List<String> lines = texts(c[0]);
      RegisteredDataset dataset = upload("n" + c[0], DatasetKind.TEXT, lines);
      assertThat(DatasetRecords.counts(dataset)).as("n=%d", c[0]).isEqualTo(new DatasetRecords.Counts(c[0] - c[1], c[1]));
      List<DatasetRecords.Record> test = readAll(dataset, "test", 0, 0);
      assertThat(test).extracting(DatasetRecords.Record::json).as("n=%d", c[0]).containsExactlyElementsOf(lines.subList(c[0] - c[1], c[0]));
      if (c[0] >= 2) {
        // the trainers hold out the same records
        TrainingData.Split<TextExample> trainers = TrainingData.text(dataset);
        assertThat(trainers.heldOut()).extracting(TextExample::completion)
            .containsExactlyElementsOf(IntStream.range(c[0] - c[1], c[0]).mapToObj(i -> "line " + i).toList());
      }
    }
  }

  @Test
  void offsetAndLimitCountRecordsOfTheSplitAndBlankLinesAreNotRecords() throws IOException {
    List<String> lines = new ArrayList<>(texts(30));
    lines.add(5, "   ");
    RegisteredDataset dataset = upload("blank", DatasetKind.TEXT, lines);
    // 30 records: 3 held out (indices 27..29)
    assertThat(readAll(dataset, "train", 25, 10)).extracting(DatasetRecords.Record::index).containsExactly(25L, 26L);
    assertThat(readAll(dataset, "test", 1, 1)).extracting(DatasetRecords.Record::index).containsExactly(28L);
    assertThat(readAll(dataset, "", 4, 3)).extracting(DatasetRecords.Record::json)
        .containsExactly("{\"text\":\"line 4\"}", "{\"text\":\"line 5\"}", "{\"text\":\"line 6\"}");
    assertThat(readAll(dataset, null, 40, 0)).isEmpty();
  }

  @Test
  void classificationJsonWritesFloat32ValuesThatParseBackExactly() {
    float[] features = {0.1f, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 1e-7f, 17.99f, 0.0625f};
    String json = DatasetRecords.classificationJson(features, 3);
    String array = json.substring(json.indexOf('[') + 1, json.indexOf(']'));
    String[] cells = array.split(",");
    assertThat(cells).hasSize(features.length);
    for (int i = 0; i < features.length; i++) {
      assertThat(Float.floatToRawIntBits(Float.parseFloat(cells[i]))).as(cells[i]).isEqualTo(Float.floatToRawIntBits(features[i]));
    }
    assertThat(json).endsWith("\"label\":3}");
  }
}
