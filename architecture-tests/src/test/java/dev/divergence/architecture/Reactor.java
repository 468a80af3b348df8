package dev.divergence.architecture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the reactor's modules live, so the tests read what the build just compiled. */
final class Reactor {

  static final Path ROOT = Path.of(System.getProperty("divergence.root", "..")).toAbsolutePath().normalize();

  /** Services: deployable processes that must never depend on each other's code. */
  static final List<String> SERVICES = List.of(
      "gateway", "services/training", "services/inference", "services/evaluation", "services/merging");

  static final List<String> LIBS = List.of(
      "libs/divergence", "libs/model", "libs/model-server", "libs/platform-commons", "libs/platform-test");

  private Reactor() {}

  static Path classes(String module) {
    Path classes = ROOT.resolve(module).resolve("target/classes");
    if (!Files.isDirectory(classes)) {
      throw new IllegalStateException(classes + " does not exist: build the reactor (./mvnw verify) before this module");
    }
    return classes;
  }

  static Path pom(String module) {
    return ROOT.resolve(module).resolve("pom.xml");
  }

  /** The Java package root of a module, e.g. services/training → dev.divergence.training. */
  static String packageOf(String module) {
    String name = module.substring(module.lastIndexOf('/') + 1);
    return switch (name) {
      case "divergence" -> "dev.divergence.math";
      case "platform-commons" -> "dev.divergence.platform";
      case "platform-test" -> "dev.divergence.platform.test";
      case "model-server" -> "dev.divergence.modelserver";
      default -> "dev.divergence." + name;
    };
  }
}
