package dev.divergence.observability;

import dev.divergence.platform.test.tools.DebianPackages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prometheus' promtool from Debian's {@code prometheus} package, installed with apt when missing so the
 * build passes on a fresh machine with only a JDK. Never a skip: without promtool the rules are unchecked,
 * so the tests fail with what to install.
 */
final class Promtool {

  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path INIT_SCRIPT = Path.of("/etc/init.d/prometheus");

  private Promtool() {}

  static synchronized Path ensureInstalled() {
    if (Files.isExecutable(PROMTOOL)) {
      return PROMTOOL;
    }
    StringBuilder log = new StringBuilder();
    boolean installed = DebianPackages.install(log, "prometheus");
    // the package's maintainer script may start the server; these tests only need promtool
    if (Files.isExecutable(INIT_SCRIPT)) {
      DebianPackages.run(log, List.of(INIT_SCRIPT.toString(), "stop"));
    }
    if (!installed || !Files.isExecutable(PROMTOOL)) {
      throw new AssertionError("promtool is needed to check the alert rules and was not found at " + PROMTOOL
          + "; installing Debian's package failed (run as root: apt-get install -y prometheus):\n" + log);
    }
    return PROMTOOL;
  }

  static DebianPackages.Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(ensureInstalled().toString());
    command.addAll(List.of(args));
    return DebianPackages.run(new StringBuilder(), command);
  }
}
