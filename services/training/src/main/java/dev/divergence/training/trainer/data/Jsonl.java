package dev.divergence.training.trainer.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads an uploaded JSONL dataset (already validated record by record at upload). */
final class Jsonl {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Jsonl() {
  }

  static <T> List<T> read(String uri, Function<JsonNode, T> record) {
    if (uri == null) {
      throw new IllegalStateException("uploaded dataset without a file");
    }
    Path file = uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    List<T> out = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          out.add(record.apply(JSON.readTree(line)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dataset " + file, e);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("dataset " + file + " holds no records");
    }
    return out;
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? "" : value.asString();
  }
}
