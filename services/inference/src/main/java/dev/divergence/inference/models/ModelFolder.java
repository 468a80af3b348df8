package dev.divergence.inference.models;

import dev.divergence.model.InvalidModelException;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.lm.LlamaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a Hugging Face model folder holds, read from its config.json: the kind follows the
 * model_type as the serving backend decides it (Llama family: language model; mlp/cnn: classifier).
 */
public record ModelFolder(ModelKind kind, String architecture, int vocabSize, int contextLength, List<String> classNames) {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** @throws IllegalArgumentException when the folder is not a model this platform can serve (the message says why) */
  public static ModelFolder read(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new IllegalArgumentException(config + " does not exist (not a Hugging Face model folder)");
    }
    String modelType;
    try {
      JsonNode type = JSON.readTree(Files.readString(config)).get("model_type");
      modelType = type == null ? "" : type.asString();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage(), e);
    }
    try {
      if (LlamaConfig.SUPPORTED_TYPES.contains(modelType)) {
        LlamaConfig lm = LlamaConfig.read(dir);
        return new ModelFolder(ModelKind.LANGUAGE_MODEL, modelType, lm.vocabSize(), lm.maxPositionEmbeddings(), List.of());
      }
      if (modelType.equals("mlp") || modelType.equals("cnn")) {
        ClassifierSpec spec = ClassifierSpec.read(dir);
        List<String> names = spec.classNames();
        if (names.isEmpty()) {
          names = new ArrayList<>();
          for (int i = 0; i < spec.numClasses(); i++) {
            names.add(Integer.toString(i));
          }
        }
        return new ModelFolder(ModelKind.CLASSIFIER, modelType, spec.numClasses(), spec.inputDim(), names);
      }
    } catch (InvalidModelException e) {
      throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(config + ": model_type '" + modelType + "' is neither a language model "
        + LlamaConfig.SUPPORTED_TYPES + " nor a classifier (mlp, cnn)");
  }
}
