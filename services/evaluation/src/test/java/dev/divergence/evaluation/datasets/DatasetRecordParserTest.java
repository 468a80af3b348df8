package dev.divergence.evaluation.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.ErrorKind;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.training.v1.DatasetRecord;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The evaluation side of the dataset read API: records as the training service sends them, parsed into typed values. */
class DatasetRecordParserTest {

  private static DatasetRecord record(long index, String split, String json) {
    return DatasetRecord.newBuilder().setIndex(index).setSplit(split).setJson(json).build();
  }

  @Test
  void classificationRowsCarryLabelsSplitsIndicesAndTheFloat32FeaturesBitForBit() {
    long seed = 20261206L;
    System.out.println("seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    List<float[]> expected = new ArrayList<>();
    List<DatasetRecord> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      float[] row = new float[8];
      for (int j = 0; j < row.length; j++) {
        // any float32 bit pattern that is finite: subnormals, -0.0, extremes and everything between
        float value;
        do {
          value = Float.intBitsToFloat(random.nextInt());
        } while (!Float.isFinite(value));
        row[j] = value;
      }
      row[0] = i == 0 ? Float.MIN_VALUE : i == 1 ? -0.0f : i == 2 ? Float.MAX_VALUE : row[0];
      expected.add(row);
      // written as the training service writes them: each float32 in its shortest round-trip decimal
      StringBuilder json = new StringBuilder("{\"features\":[");
      for (int j = 0; j < row.length; j++) {
        json.append(j == 0 ? "" : ",").append(Float.toString(row[j]));
      }
      json.append("],\"label\":").append(i % 7).append('}');
      records.add(record(1000 + i, i % 5 == 0 ? "test" : "train", json.toString()));
    }

    ClassificationRows rows = DatasetRecordParser.classification("random", records);

    assertThat(rows.size()).isEqualTo(200);
    assertThat(rows.dim()).isEqualTo(8);
    assertThat(rows.classes()).isEqualTo(7);
    for (int i = 0; i < 200; i++) {
      for (int j = 0; j < 8; j++) {
        assertThat(Float.floatToRawIntBits(rows.features()[i][j])).as("seed %d row %d feature %d: %s", seed, i, j, records.get(i).getJson())
            .isEqualTo(Float.floatToRawIntBits(expected.get(i)[j]));
      }
      assertThat(rows.labels()[i]).isEqualTo(i % 7);
      assertThat(rows.splits()[i]).isEqualTo(i % 5 == 0 ? "test" : "train");
      assertThat(rows.indices()[i]).isEqualTo(1000 + i);
    }
  }

  @Test
  void aDecimalJustAboveAFloat32MidpointRoundsUpAsTheExactDecimalDoes() {
    // 1 + 2^-24 = 1.000000059604644775390625 is exactly halfway between 1.0f and the next float32 and is a
    // double. The decimal below lies 1e-29 above it: read as a double it becomes the midpoint itself, which
    // float rounding (ties to even) sends down to 1.0f; the correctly rounded float32 is the one above.
    String json = "{\"features\":[1.00000005960464477539062500001, 3],\"label\":0}";
    ClassificationRows rows = DatasetRecordParser.classification("midpoint", List.of(record(0, "train", json)));
    assertThat(rows.features()[0]).containsExactly(Math.nextUp(1.0f), 3.0f);
    assertThat((float) Double.parseDouble("1.00000005960464477539062500001")).as("the double path the parser avoids").isEqualTo(1.0f);
  }

  @Test
  void rowsOfDifferentLengthsAreRejectedNamingTheDataset() {
    List<DatasetRecord> records = List.of(record(0, "train", "{\"features\":[1,2,3],\"label\":0}"),
        record(1, "train", "{\"features\":[1,2],\"label\":1}"));
    assertThatThrownBy(() -> DatasetRecordParser.classification("ragged", records))
        .isInstanceOfSatisfying(InvalidArgumentException.class, error -> {
          assertThat(error.violations()).extracting(FieldViolation::field).containsExactly("dataset");
          assertThat(error.getMessage()).contains("'ragged'").contains("record 1 has 2 features").contains("record 0 has 3");
        });
  }

  @Test
  void aRecordOutsideItsSchemaIsABrokenContractNamingTheRecord() {
    assertThatThrownBy(() -> DatasetRecordParser.classification("broken", List.of(record(41, "test", "{\"features\":[1],\"label\":-1}"))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("record 41 of dataset 'broken'");
    assertThatThrownBy(() -> DatasetRecordParser.classification("broken", List.of(record(42, "test", "{\"features\":[\"a\"],\"label\":1}"))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("record 42 of dataset 'broken'");
    assertThatThrownBy(() -> DatasetRecordParser.classification("broken", List.of(record(43, "test", "{\"features\":[\"1.5\"],\"label\":1}"))))
        .as("a string is not a number").isInstanceOf(IllegalStateException.class).hasMessageContaining("record 43");
    assertThatThrownBy(() -> DatasetRecordParser.classification("broken", List.of(record(44, "test", "{\"features\":[1.5],\"label\":1.5}"))))
        .as("nor a fraction a label").isInstanceOf(IllegalStateException.class).hasMessageContaining("record 44");
    assertThatThrownBy(() -> DatasetRecordParser.text("broken", record(7, "train", "{\"text\": ")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("record 7 of dataset 'broken' is not valid JSON");
    assertThatThrownBy(() -> DatasetRecordParser.preference("broken", record(8, "train", "{\"prompt\":\"p\",\"chosen\":\"c\"}")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("record 8").hasMessageContaining("\"rejected\"");
  }

  @Test
  void textRecordsEitherWholeOrPromptAndCompletion() {
    TextRecord arithmetic = DatasetRecordParser.text("arithmetic", record(3, "train", "{\"text\":\"23+9=32\"}"));
    assertThat(arithmetic).isEqualTo(new TextRecord(3, "train", "", "23+9=32", null));
    assertThat(arithmetic.hasPrompt()).isFalse();
    assertThat(arithmetic.text()).isEqualTo("23+9=32");
    assertThat(arithmetic.promptAndAnswer()).contains(new TextRecord.PromptAndAnswer("23+9=", "32"));
    assertThat(DatasetRecordParser.text("arithmetic", record(4, "test", "{\"text\":\"17-5=12\"}")).promptAndAnswer())
        .contains(new TextRecord.PromptAndAnswer("17-5=", "12"));
    assertThat(DatasetRecordParser.text("arithmetic", record(5, "test", "{\"text\":\"the cat sat on the mat.\"}")).promptAndAnswer())
        .as("a sentence asks nothing").isEmpty();

    TextRecord pair = DatasetRecordParser.text("upload", record(0, "train",
        "{\"prompt\":\"Q: \\\"2+2\\\" \\u00e9\\u20ac\\n\",\"completion\":\" 4\"}"));
    assertThat(pair.prompt()).isEqualTo("Q: \"2+2\" \u00e9\u20ac\n");
    assertThat(pair.completion()).isEqualTo(" 4");
    assertThat(pair.text()).isEqualTo("Q: \"2+2\" \u00e9\u20ac\n 4");
    assertThat(pair.promptAndAnswer()).contains(new TextRecord.PromptAndAnswer("Q: \"2+2\" \u00e9\u20ac\n", " 4"));

    TextRecord withAnswer = DatasetRecordParser.text("upload", record(1, "test",
        "{\"prompt\":\"What is 6*7?\",\"completion\":\"6*7 is 42.\",\"answer\":\"42\"}"));
    assertThat(withAnswer.answer()).isEqualTo("42");
    assertThat(withAnswer.promptAndAnswer()).contains(new TextRecord.PromptAndAnswer("What is 6*7?", "42"));
  }

  @Test
  void preferenceRecords() {
    assertThat(DatasetRecordParser.preference("arithmetic-preferences",
        record(9, "test", "{\"prompt\":\"3+4=\",\"chosen\":\"7\",\"rejected\":\"9\"}")))
        .isEqualTo(new PreferenceRecord(9, "test", "3+4=", "7", "9"));
  }

  @Test
  void aDatasetOfAnotherKindIsInvalidNamingTheDatasetField() {
    DatasetInfo arithmetic = new DatasetInfo("arithmetic", "text", true, "", 20_128, 20_000, 128);
    assertThatThrownBy(() -> DatasetClient.requireKind(arithmetic, DatasetInfo.CLASSIFICATION))
        .isInstanceOfSatisfying(InvalidArgumentException.class, error -> {
          assertThat(error.violations()).extracting(FieldViolation::field).containsExactly("dataset");
          assertThat(error.getMessage()).contains("'arithmetic' holds text records; classification records are needed");
        });
    DatasetClient.requireKind(arithmetic, DatasetInfo.TEXT);
  }

  @Test
  void trainingStatusesBecomeThisServicesErrors() {
    RuntimeException missing = DatasetClient.translate("nope",
        Status.NOT_FOUND.withDescription("dataset 'nope' does not exist").asRuntimeException());
    assertThat(missing).isInstanceOfSatisfying(DatasetNotFoundException.class, error -> {
      assertThat(error.name()).isEqualTo("nope");
      assertThat(error.kind()).isEqualTo(ErrorKind.NOT_FOUND);
      assertThat(error.getMessage()).isEqualTo("dataset 'nope' does not exist");
    });

    Metadata trailers = new Metadata();
    trailers.put(GrpcStatusMapper.INVALID_FIELDS, "split,limit");
    RuntimeException invalid = DatasetClient.translate("digits",
        Status.INVALID_ARGUMENT.withDescription("split: must be \"train\", \"test\" or empty").asRuntimeException(trailers));
    assertThat(invalid).isInstanceOfSatisfying(InvalidArgumentException.class,
        error -> assertThat(error.violations()).extracting(FieldViolation::field).containsExactly("split", "limit"));

    StatusRuntimeException unavailable = Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException();
    assertThat(DatasetClient.translate("digits", unavailable)).isSameAs(unavailable);
  }
}
