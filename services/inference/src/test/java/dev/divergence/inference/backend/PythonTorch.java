package dev.divergence.inference.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code /usr/bin/python3} with PyTorch and NumPy (packages python3-torch, python3-numpy), installed
 * with apt when missing so the build passes on a fresh machine with only a JDK. Never a skip: without them the
 * Python-backend model is unchecked, so the tests fail with what to install. Only tests need Python; the
 * product does not.
 */
final class PythonTorch {

  static final Path PYTHON = Path.of("/usr/bin/python3");

  record Result(int exitCode, String output) {}

  private PythonTorch() {}

  static synchronized Path ensureInstalled() {
    StringBuilder log = new StringBuilder();
    if (run(log, List.of(PYTHON.toString(), "-c", "import torch, numpy")).exitCode() == 0) {
      return PYTHON;
    }
    // an install from the cached package lists first; with stale lists, refresh them once and retry.
    // Another apt run on the machine holds dpkg's lock for a while: wait for it rather than fail.
    List<String> install = List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends",
        "python3-torch", "python3-numpy");
    boolean installed = run(log, install).exitCode() == 0
        || (run(log, List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update")).exitCode() == 0 && run(log, install).exitCode() == 0);
    if (!installed || run(log, List.of(PYTHON.toString(), "-c", "import torch, numpy")).exitCode() != 0) {
      throw new AssertionError("PyTorch for " + PYTHON + " is needed to run the Triton Python-backend model and was not found;"
          + " installing Debian's packages failed (run as root: apt-get install -y python3-torch python3-numpy):\n" + log);
    }
    return PYTHON;
  }

  /** Runs {@code command}, its output (stdout and stderr) collected; at most ten minutes. */
  static Result run(StringBuilder log, List<String> command, String... environment) {
    try {
      ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      for (int i = 0; i + 1 < environment.length; i += 2) {
        pb.environment().put(environment[i], environment[i + 1]);
      }
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
