package dev.divergence.inference.backend;

import dev.divergence.platform.test.tools.DebianPackages;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's {@code /usr/bin/python3} with PyTorch and NumPy (packages python3-torch, python3-numpy), installed
 * with apt when missing so the build passes on a fresh machine with only a JDK. Never a skip: without them the
 * Python-backend model is unchecked, so the tests fail with what to install. Only tests need Python; the
 * product does not.
 */
final class PythonTorch {

  static final Path PYTHON = Path.of("/usr/bin/python3");

  private PythonTorch() {}

  static synchronized Path ensureInstalled() {
    StringBuilder log = new StringBuilder();
    if (DebianPackages.run(log, List.of(PYTHON.toString(), "-c", "import torch, numpy")).succeeded()) {
      return PYTHON;
    }
    boolean installed = DebianPackages.install(log, "python3-torch", "python3-numpy");
    if (!installed || !DebianPackages.run(log, List.of(PYTHON.toString(), "-c", "import torch, numpy")).succeeded()) {
      throw new AssertionError("PyTorch for " + PYTHON + " is needed to run the Triton Python-backend model and was not found;"
          + " installing Debian's packages failed (run as root: apt-get install -y python3-torch python3-numpy):\n" + log);
    }
    return PYTHON;
  }
}
