package dev.divergence.inference.models;

import java.nio.file.Path;

/** Makes a built-in model's Hugging Face folder (trained on first use, cached after) and says where it is. */
@FunctionalInterface
public interface BuiltInModelMaker {

  Path make(String name);
}
