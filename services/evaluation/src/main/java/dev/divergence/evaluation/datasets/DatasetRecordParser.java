package dev.divergence.evaluation.datasets;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.training.v1.DatasetRecord;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the training service's records (JSON objects in their kind's schema) into typed values.
 * The training service checked every record at upload, so a record that does not parse is its
 * contract broken, reported as {@link IllegalStateException} naming the record; rows of unequal
 * length are a property of the (uploaded) data and rejected naming the field {@code dataset}.
 */
final class DatasetRecordParser {

  private static final JsonMapper JSON = JsonMapper.builder()
      // a string is not a feature, nor a fraction a label
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();
  private static final ObjectReader CLASSIFICATION = JSON.readerFor(ClassificationJson.class)
      .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

  private DatasetRecordParser() {
  }

  static ClassificationRows classification(String dataset, List<DatasetRecord> records) {
    int n = records.size();
    float[][] features = new float[n][];
    int[] labels = new int[n];
    String[] splits = new String[n];
    long[] indices = new long[n];
    for (int i = 0; i < n; i++) {
      DatasetRecord record = records.get(i);
      ClassificationJson row = parseClassification(dataset, record);
      if (i > 0 && row.features().length != features[0].length) {
        throw new InvalidArgumentException("dataset", "'" + dataset + "': record " + record.getIndex() + " has "
            + row.features().length + " features, record " + indices[0] + " has " + features[0].length);
      }
      features[i] = row.features();
      labels[i] = row.label().intValue();
      splits[i] = record.getSplit();
      indices[i] = record.getIndex();
    }
    return new ClassificationRows(dataset, features, labels, splits, indices);
  }

  /**
   * Bound straight to {@code float[]}: the parser reads each number's text as a float32 (one correct
   * rounding, the sign of -0.0 kept), where a tree would hold doubles first and could round twice
   * (decimal → double → float32) to the neighbouring float32.
   */
  record ClassificationJson(float[] features, Long label) {}

  private static ClassificationJson parseClassification(String dataset, DatasetRecord record) {
    ClassificationJson row;
    try {
      row = CLASSIFICATION.readValue(record.getJson());
    } catch (JacksonException e) {
      throw malformed(dataset, record, "is not {\"features\": [numbers], \"label\": int}: " + e.getOriginalMessage());
    }
    if (row == null || row.features() == null || row.label() == null || row.label() < 0 || row.label() > Integer.MAX_VALUE) {
      throw malformed(dataset, record, "is not {\"features\": [numbers], \"label\": non-negative int}");
    }
    return row;
  }

  static TextRecord text(String dataset, DatasetRecord record) {
    JsonNode node = parse(dataset, record);
    String answer = node.has("answer") && node.get("answer").isValueNode() ? node.get("answer").asString() : null;
    if (node.has("text")) {
      return new TextRecord(record.getIndex(), record.getSplit(), "", string(dataset, record, node, "text"), answer);
    }
    return new TextRecord(record.getIndex(), record.getSplit(), string(dataset, record, node, "prompt"),
        string(dataset, record, node, "completion"), answer);
  }

  static PreferenceRecord preference(String dataset, DatasetRecord record) {
    JsonNode node = parse(dataset, record);
    return new PreferenceRecord(record.getIndex(), record.getSplit(), string(dataset, record, node, "prompt"),
        string(dataset, record, node, "chosen"), string(dataset, record, node, "rejected"));
  }

  private static JsonNode parse(String dataset, DatasetRecord record) {
    try {
      JsonNode node = JSON.readTree(record.getJson());
      if (node == null || !node.isObject()) {
        throw malformed(dataset, record, "is not a JSON object");
      }
      return node;
    } catch (JacksonException e) {
      throw malformed(dataset, record, "is not valid JSON");
    }
  }

  private static String string(String dataset, DatasetRecord record, JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isString()) {
      throw malformed(dataset, record, "has no string \"" + field + "\"");
    }
    return value.asString();
  }

  private static IllegalStateException malformed(String dataset, DatasetRecord record, String problem) {
    return new IllegalStateException("record " + record.getIndex() + " of dataset '" + dataset + "' " + problem);
  }
}
