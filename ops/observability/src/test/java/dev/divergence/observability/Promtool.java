package dev.divergence.observability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' promtool from Debian's {@code prometheus} package, installed with apt when missing so the
 * build passes on a fresh machine with only a JDK. Never a skip: without promtool the rules are unchecked,
 * so the tests fail with what to install.
 */
final class Promtool {

  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path INIT_SCRIPT = Path.of("/etc/init.d/prometheus");

  record Result(int exitCode, String output) {}

  private Promtool() {}

  static synchronized Path ensureInstalled() {
    if (Files.isExecutable(PROMTOOL)) {
      return PROMTOOL;
    }
    StringBuilder log = new StringBuilder();
    // an install from the cached package lists first; with stale lists, refresh them once and retry.
    // Another apt run on the machine holds dpkg's lock for a while: wait for it rather than fail.
    String[] install = {"apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends", "prometheus"};
    boolean installed = run(log, install).exitCode() == 0
        || (run(log, "apt-get", "-o", "DPkg::Lock::Timeout=300", "update").exitCode() == 0 && run(log, install).exitCode() == 0);
    // the package's maintainer script may start the server; these tests only need promtool
    if (Files.isExecutable(INIT_SCRIPT)) {
      run(log, INIT_SCRIPT.toString(), "stop");
    }
    if (!installed || !Files.isExecutable(PROMTOOL)) {
      throw new AssertionError("promtool is needed to check the alert rules and was not found at " + PROMTOOL
          + "; installing Debian's package failed (run as root: apt-get install -y prometheus):\n" + log);
    }
    return PROMTOOL;
  }

  static Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(ensureInstalled().toString());
    command.addAll(List.of(args));
    return run(new StringBuilder(), command.toArray(String[]::new));
  }

  private static Result run(StringBuilder log, String... command) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish within 10 minutes");
      }
      log.append("$ ").append(String.join(" ", command)).append(" -> ").append(p.exitValue()).append('\n').append(output);
      return new Result(p.exitValue(), output);
    } catch (IOException e) {
      log.append("$ ").append(String.join(" ", command)).append(" -> ").append(e.getMessage()).append('\n');
      return new Result(-1, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
