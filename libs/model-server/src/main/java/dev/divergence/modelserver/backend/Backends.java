package dev.divergence.modelserver.backend;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.modelserver.InferenceException;
import dev.divergence.proto.triton.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Picks the backend from the Hugging Face config.json in the version folder: a Llama-family
 * model_type is a language model, "mlp"/"cnn" a classifier. config.pbtxt's backend field is not
 * consulted because Triton-side repositories name their own backends there.
 */
public final class Backends {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Backends() {
    }

    /** @throws InferenceException INVALID_ARGUMENT when the folder or the config cannot be served */
    public static ModelBackend load(NDManager manager, ModelConfig config, Path versionDir) {
        String modelType = modelType(config, versionDir);
        try {
            if (LlamaConfig.SUPPORTED_TYPES.contains(modelType)) {
                return new LanguageModelBackend(manager, config, versionDir);
            }
            if (modelType.equals("mlp") || modelType.equals("cnn")) {
                return new ClassifierBackend(manager, config, versionDir);
            }
        } catch (InvalidModelException e) {
            throw InferenceException.invalidArgument("load failed for model '" + config.getName() + "': " + e.getMessage());
        }
        throw InferenceException.invalidArgument("load failed for model '" + config.getName() + "': model_type '" + modelType
                + "' in " + versionDir.resolve("config.json") + " is neither a language model " + LlamaConfig.SUPPORTED_TYPES
                + " nor a classifier (mlp, cnn)");
    }

    private static String modelType(ModelConfig config, Path versionDir) {
        Path file = versionDir.resolve("config.json");
        try {
            JsonNode node = JSON.readTree(Files.readString(file)).get("model_type");
            if (node == null || !node.isString()) {
                throw InferenceException.invalidArgument("load failed for model '" + config.getName() + "': " + file + " has no model_type");
            }
            return node.asString();
        } catch (IOException e) {
            throw InferenceException.invalidArgument("load failed for model '" + config.getName() + "': cannot read " + file + ": " + e.getMessage());
        }
    }
}
