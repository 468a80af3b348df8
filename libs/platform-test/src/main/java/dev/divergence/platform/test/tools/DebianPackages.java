package dev.divergence.platform.test.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tools a test needs beyond the JDK (promtool, Chromium, PyTorch for Python), installed from Debian's
 * packages when missing, so a fresh machine with only a JDK runs every test and no test skips for
 * want of a tool. The machine's tests run as root, as on CI.
 */
public final class DebianPackages {

  /** How long one command may run: an install on a slow mirror takes minutes. */
  private static final long LIMIT_MINUTES = 10;

  /** A finished command: its exit code (-1 when it could not start) and its output, stdout and stderr together. */
  public record Result(int exitCode, String output) {

    public boolean succeeded() {
      return exitCode == 0;
    }
  }

  private DebianPackages() {}

  /**
   * Installs {@code packages} (without recommended ones), from the cached package lists first and,
   * when that fails, once more after refreshing them (a fresh machine may have none). Another apt run
   * on the machine holds dpkg's lock for a while: it is waited for rather than failed on. Every
   * command and its output is appended to {@code log}, for the failure message.
   */
  public static synchronized boolean install(StringBuilder log, String... packages) {
    List<String> install = new ArrayList<>(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
        "--no-install-recommends"));
    install.addAll(List.of(packages));
    return run(log, install).succeeded()
        || (run(log, List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update")).succeeded() && run(log, install).succeeded());
  }

  /** Runs {@code command} non-interactively, at most ten minutes, logging it and its output to {@code log}. */
  public static Result run(StringBuilder log, List<String> command) {
    return run(log, command, Map.of());
  }

  /** {@link #run(StringBuilder, List)} with further environment variables. */
  public static Result run(StringBuilder log, List<String> command, Map<String, String> environment) {
    String line = String.join(" ", command);
    try {
      ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
      builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
      builder.environment().putAll(environment);
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(LIMIT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError(line + " did not finish within " + LIMIT_MINUTES + " minutes");
      }
      log.append("$ ").append(line).append(" -> ").append(process.exitValue()).append('\n').append(output);
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      log.append("$ ").append(line).append(" -> ").append(e.getMessage()).append('\n');
      return new Result(-1, String.valueOf(e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
