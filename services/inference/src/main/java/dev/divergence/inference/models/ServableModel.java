package dev.divergence.inference.models;

/**
 * A model the inference service can serve, as the serving backend knows it.
 *
 * @param name Triton model name (the repository folder)
 * @param version Triton version folder currently served ("1", "2", ...)
 * @param architecture config.json model_type ("llama", "qwen2", "mlp", "cnn", ...)
 * @param vocabSize language models: vocabulary size; classifiers: number of classes
 * @param contextLength language models: maximum positions; classifiers: input features
 * @param message why the state is what it is (load error), empty when READY
 */
public record ServableModel(
        String name,
        String version,
        ModelKind kind,
        String architecture,
        int vocabSize,
        int contextLength,
        ServingState state,
        String message) {

    public boolean ready() {
        return state == ServingState.READY;
    }
}
