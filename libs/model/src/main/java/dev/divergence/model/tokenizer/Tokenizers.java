package dev.divergence.model.tokenizer;

import dev.divergence.model.InvalidModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the tokenizer of a model folder. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /** {@code tokenizer.json} through Hugging Face tokenizers; the byte tokenizer needs nothing else. */
    public static TextTokenizer load(Path modelDir) {
        if (Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            return HuggingFaceTextTokenizer.load(modelDir);
        }
        throw new InvalidModelException(modelDir.resolve("tokenizer.json").toString(), "no tokenizer found");
    }

    /** Writes the byte tokenizer in Hugging Face form (tokenizer.json + tokenizer_config.json). */
    public static void writeByteTokenizer(Path modelDir) {
        ByteTokenizer bytes = new ByteTokenizer();
        try {
            Files.createDirectories(modelDir);
            Files.writeString(modelDir.resolve("tokenizer.json"), bytes.toHuggingFaceJson());
            Files.writeString(modelDir.resolve("tokenizer_config.json"), bytes.toHuggingFaceConfigJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer to " + modelDir, e);
        }
    }
}
