package dev.divergence.training.trainer;

import java.nio.file.Path;
import java.util.Map;

/**
 * @param modelDir the trained model in the Hugging Face layout (config.json, model.safetensors,
 *     tokenizer.json when there is one), inside {@link TrainingRun#workDir()}; the registry moves it
 * @param architecture as the registry should list it ("llama", "mlp", "cnn8x8", ...)
 * @param finalMetrics recorded with the registered model (e.g. final loss, divergence to teacher)
 */
public record TrainingOutcome(Path modelDir, Map<String, Double> finalMetrics) {}
