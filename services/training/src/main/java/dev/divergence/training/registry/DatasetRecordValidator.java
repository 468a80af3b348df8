package dev.divergence.training.registry;

import dev.divergence.platform.errors.FieldViolation;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Checks one JSONL record against the schema of its dataset kind (see {@link DatasetKind}). */
final class DatasetRecordValidator {

  private DatasetRecordValidator() {}

  /** @return the first problem of the record, its field named as {@code line <n>.<field>} */
  static Optional<FieldViolation> check(DatasetKind kind, JsonNode record, long line) {
    String at = "line " + line;
    if (record == null || !record.isObject()) {
      return Optional.of(new FieldViolation(at, "must be a JSON object"));
    }
    if (kind == DatasetKind.VERIFIABLE) {
      return checkVerifiable(at, record);
    }
    Set<String> allowed = switch (kind) {
      case VERIFIABLE -> throw new IllegalStateException("checked above");
      case TEXT -> record.has("text") ? Set.of("text") : Set.of("prompt", "completion");
      case PREFERENCE -> Set.of("prompt", "chosen", "rejected");
      case CLASSIFICATION -> Set.of("features", "label");
    };
    for (Iterator<Map.Entry<String, JsonNode>> it = record.properties().iterator(); it.hasNext(); ) {
      String field = it.next().getKey();
      if (!allowed.contains(field)) {
        return Optional.of(new FieldViolation(at + "." + field, "unknown field for " + kind.apiName() + " records; expected " + allowed.stream().sorted().toList()));
      }
    }
    for (String field : allowed) {
      JsonNode value = record.get(field);
      if (value == null || value.isNull()) {
        return Optional.of(new FieldViolation(at + "." + field, "is required for " + kind.apiName() + " records"));
      }
      if (kind == DatasetKind.CLASSIFICATION) {
        Optional<FieldViolation> problem = checkClassification(at, field, value);
        if (problem.isPresent()) {
          return problem;
        }
      } else if (!value.isString() || value.asString().isEmpty()) {
        return Optional.of(new FieldViolation(at + "." + field, "must be a non-empty string"));
      }
    }
    return Optional.empty();
  }

  /** Verifiable records: at least one field, every field a non-empty string. */
  private static Optional<FieldViolation> checkVerifiable(String at, JsonNode record) {
    if (record.isEmpty()) {
      return Optional.of(new FieldViolation(at, "must have fields (e.g. prompt and answer) for verifiable records"));
    }
    for (Map.Entry<String, JsonNode> field : record.properties()) {
      if (!field.getValue().isString() || field.getValue().asString().isEmpty()) {
        return Optional.of(new FieldViolation(at + "." + field.getKey(), "must be a non-empty string"));
      }
    }
    return Optional.empty();
  }

  /**
   * Verifiable records all have the first record's field names, so that a job naming its prompt and
   * answer fields can be checked against the first record alone.
   *
   * @return the first field the record lacks or adds, named as {@code line <n>.<field>}
   */
  static Optional<FieldViolation> checkSameFields(Set<String> first, JsonNode record, long line) {
    for (String field : first) {
      if (!record.has(field)) {
        return Optional.of(new FieldViolation("line " + line + "." + field, "is required: the first record has it"));
      }
    }
    for (Map.Entry<String, JsonNode> field : record.properties()) {
      if (!first.contains(field.getKey())) {
        return Optional.of(new FieldViolation("line " + line + "." + field.getKey(),
            "unknown field: verifiable records all have the first record's fields " + first.stream().sorted().toList()));
      }
    }
    return Optional.empty();
  }

  private static Optional<FieldViolation> checkClassification(String at, String field, JsonNode value) {
    if (field.equals("label")) {
      return value.isIntegralNumber() && value.asLong() >= 0
          ? Optional.empty() : Optional.of(new FieldViolation(at + ".label", "must be a non-negative integer"));
    }
    if (!value.isArray() || value.isEmpty()) {
      return Optional.of(new FieldViolation(at + ".features", "must be a non-empty array of numbers"));
    }
    for (int i = 0; i < value.size(); i++) {
      if (!value.get(i).isNumber() || !Double.isFinite(value.get(i).asDouble())) {
        return Optional.of(new FieldViolation(at + ".features[" + i + "]", "must be a finite number"));
      }
    }
    return Optional.empty();
  }
}
