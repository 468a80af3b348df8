package dev.divergence.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The platform an integration test class starts for itself: this repository's services, a fresh data
 * folder under {@code target/it-data}, random free ports, and a start timeout generous enough for
 * several Spring Boot services starting side by side on a loaded 2-core CI machine. Test classes add
 * their components, service JVM options (the built-in models' small budgets, shorter timeouts) and
 * anything else on the builder.
 */
final class TestPlatforms {

  static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  private TestPlatforms() {}

  static Path repoRoot() {
    return LocalPlatformConfig.findRepoRoot(Path.of(""));
  }

  /** A new, empty data folder named after the test. */
  static Path freshDataDir(String name) {
    Path dataDir = Path.of("target/it-data", name + "-" + System.currentTimeMillis()).toAbsolutePath();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dataDir;
  }

  /** The services' default JVM options plus the test's own. */
  static List<String> serviceJvm(String... options) {
    List<String> jvm = new ArrayList<>(LocalPlatformConfig.DEFAULT_SERVICE_JVM_OPTIONS);
    jvm.addAll(List.of(options));
    return jvm;
  }

  static LocalPlatformConfig.Builder builder(String name, Component first, Component... rest) {
    return LocalPlatformConfig.builder().repoRoot(repoRoot()).dataDir(freshDataDir(name)).randomFreePorts()
        .components(first, rest).startTimeout(START_TIMEOUT);
  }
}
