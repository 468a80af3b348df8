package dev.divergence.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test datasets in JSONL (one JSON object per line) written by Jackson, so that quotes,
 * backslashes and control characters in the values are escaped as the upload's parser expects.
 */
public final class JsonLines {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private JsonLines() {
  }

  /** A record whose fields keep the order given: {@code record("prompt", p, "chosen", c)}. */
  public static Map<String, Object> record(Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values come in pairs, got " + namesAndValues.length + " items");
    }
    Map<String, Object> record = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      record.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return record;
  }

  /** The records as JSONL text, every line ending in a newline. */
  public static String of(Iterable<? extends Map<String, ?>> records) {
    StringBuilder jsonl = new StringBuilder();
    for (Map<String, ?> record : records) {
      jsonl.append(JSON.writeValueAsString(record)).append('\n');
    }
    return jsonl.toString();
  }

  /** Writes the records to the file as JSONL and returns the file. */
  public static Path write(Path file, Iterable<? extends Map<String, ?>> records) throws IOException {
    return Files.writeString(file, of(records));
  }
}
