package dev.divergence.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The repository's observability files, found from the module's surefire property {@code divergence.root}. */
final class Repo {

  static final Path ROOT = Path.of(System.getProperty("divergence.root", "../..")).toAbsolutePath().normalize();
  static final Path PROMETHEUS = ROOT.resolve("ops/prometheus");
  static final Path RULES = PROMETHEUS.resolve("rules");
  static final Path RULE_TESTS = PROMETHEUS.resolve("tests");
  static final Path GRAFANA = ROOT.resolve("ops/grafana");
  static final Path DASHBOARDS = GRAFANA.resolve("dashboards");
  static final Path RUNBOOKS = ROOT.resolve("ops/runbooks");

  private static final ObjectMapper YAML = YAMLMapper.builder().build();
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  private Repo() {}

  /** The files of {@code dir} whose names end with {@code suffix}, sorted; fails when there are none. */
  static List<Path> files(Path dir, String suffix) {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
      if (files.isEmpty()) {
        throw new AssertionError("no *" + suffix + " in " + ROOT.relativize(dir));
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode yaml(Path file) {
    return YAML.readTree(file.toFile());
  }

  static JsonNode json(Path file) {
    return JSON.readTree(file.toFile());
  }

  static String relative(Path file) {
    return ROOT.relativize(file).toString();
  }
}
