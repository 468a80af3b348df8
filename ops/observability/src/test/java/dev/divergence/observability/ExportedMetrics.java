package dev.divergence.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The metric names the platform exports, as {@code ops/observability/collect-metrics.sh} scraped them from
 * the running services and model server ({@code exported-metrics.txt}), plus the few that no local run can
 * export ({@code not-exported-locally.txt}, each with its reason).
 */
final class ExportedMetrics {

  static final String SCRIPT = "ops/observability/collect-metrics.sh";
  static final Path EXPORTED = Repo.ROOT.resolve("ops/observability/src/test/resources/exported-metrics.txt");
  static final Path NOT_EXPORTED_LOCALLY = Repo.ROOT.resolve("ops/observability/src/test/resources/not-exported-locally.txt");

  private ExportedMetrics() {}

  static Set<String> exported() {
    return names(EXPORTED, false);
  }

  static Set<String> allowedWithoutExport() {
    return names(NOT_EXPORTED_LOCALLY, true);
  }

  static Set<String> known() {
    Set<String> all = new TreeSet<>(exported());
    all.addAll(allowedWithoutExport());
    return all;
  }

  /** A message for names outside the known set, naming the script that regenerates the list. */
  static String unknownMessage(String where, Set<String> unknown) {
    return where + " uses metric names that no service or model server exports: " + unknown
        + ". Either the name is wrong, or a meter was added or renamed since " + Repo.relative(EXPORTED)
        + " was generated: run " + SCRIPT + " (it starts the local platform and scrapes every service) and commit its"
        + " output. Metrics that only a real Triton on a GPU or Prometheus itself produce go into "
        + Repo.relative(NOT_EXPORTED_LOCALLY) + " with the reason.";
  }

  private static Set<String> names(Path file, boolean reasonRequired) {
    try {
      Set<String> names = new TreeSet<>();
      for (String line : Files.readAllLines(file)) {
        String content = line.strip();
        if (content.isEmpty() || content.startsWith("#")) {
          continue;
        }
        int comment = content.indexOf('#');
        String name = (comment < 0 ? content : content.substring(0, comment)).strip();
        if (reasonRequired && (comment < 0 || content.substring(comment + 1).isBlank())) {
          throw new AssertionError(Repo.relative(file) + ": '" + name + "' needs its reason after '#'");
        }
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
          throw new AssertionError(Repo.relative(file) + ": '" + name + "' is not a metric name");
        }
        names.add(name);
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(Repo.relative(file) + " is missing: run " + SCRIPT, e);
    }
  }
}
