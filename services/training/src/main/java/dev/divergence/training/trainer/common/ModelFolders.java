package dev.divergence.training.trainer.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Writes model folders (Hugging Face layout), creating the folder first. */
public final class ModelFolders {

  private ModelFolders() {
  }

  public static void save(Path dir, Consumer<Path> writer) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    writer.accept(dir);
  }

  /** Copies the tokenizer files of {@code from} (when it has them) next to a saved language model. */
  public static void copyTokenizer(Path from, Path to) {
    for (String name : new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      Path source = from.resolve(name);
      if (Files.isRegularFile(source)) {
        try {
          Files.copy(source, to.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot copy " + source, e);
        }
      }
    }
  }
}
