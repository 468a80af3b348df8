package dev.divergence.merging.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import java.nio.file.Path;

/** libtorch under target/, and the digits generalist / expert pair built once with a small budget. */
final class TestModels {

  /** 40 classifier steps: seconds to train, enough for the expert to differ visibly from the generalist. */
  static final TinyAssets.Budget SMALL = new TinyAssets.Budget(0, 40);
  static final Path DATA = Path.of("target", "merging-test-data");

  private TestModels() {
  }

  static NDManager manager() {
    DjlRuntime.configure(Path.of("target", "djl-cache"));
    return NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
  }

  static Classifier[] digitsPair(NDManager manager) {
    TinyAssets assets = new TinyAssets(DATA, SMALL);
    Path expert = assets.ensure(manager, TinyAssets.DIGITS_EXPERT);
    Path generalist = assets.ensure(manager, TinyAssets.DIGITS_GENERALIST);
    return new Classifier[] {Classifier.load(manager, generalist), Classifier.load(manager, expert)};
  }
}
