package dev.divergence.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.divergence.model.InvalidModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library.
 * Special tokens come from {@code tokenizer_config.json} when present (bos/eos/pad by content).
 */
public final class HuggingFaceTextTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final OptionalLong bos;
    private final OptionalLong eos;
    private final OptionalLong pad;

    private HuggingFaceTextTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, OptionalLong bos, OptionalLong eos, OptionalLong pad) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /** Loads {@code dir/tokenizer.json} (or the file itself). */
    public static HuggingFaceTextTokenizer load(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException(file.toString(), "tokenizer.json not found");
        }
        JsonMapper json = JsonMapper.builder().build();
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (RuntimeException e) {
            throw new InvalidModelException(file.toString(), "not valid JSON: " + e.getMessage(), e);
        }
        // DJL truncates to 512 tokens unless told not to: callers decide about context length
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            throw new InvalidModelException(file.toString(), "not a valid Hugging Face tokenizer: " + e.getMessage(), e);
        }
        int vocab = root.path("model").path("vocab").size();
        for (JsonNode added : root.path("added_tokens")) {
            vocab = Math.max(vocab, added.path("id").asInt() + 1);
        }
        Path config = file.resolveSibling("tokenizer_config.json");
        OptionalLong bos = OptionalLong.empty();
        OptionalLong eos = OptionalLong.empty();
        OptionalLong pad = OptionalLong.empty();
        if (Files.isRegularFile(config)) {
            JsonNode c = json.readTree(config.toFile());
            bos = special(root, c.get("bos_token"));
            eos = special(root, c.get("eos_token"));
            pad = special(root, c.get("pad_token"));
        }
        return new HuggingFaceTextTokenizer(tokenizer, vocab, bos, eos, pad);
    }

    private static OptionalLong special(JsonNode tokenizerJson, JsonNode token) {
        if (token == null || token.isNull()) {
            return OptionalLong.empty();
        }
        String content = token.isObject() ? token.path("content").asString() : token.asString();
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            if (content.equals(added.path("content").asString())) {
                return OptionalLong.of(added.path("id").asLong());
            }
        }
        JsonNode id = tokenizerJson.path("model").path("vocab").get(content);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id.asLong());
    }

    @Override
    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalLong bosTokenId() {
        return bos;
    }

    @Override
    public OptionalLong eosTokenId() {
        return eos;
    }

    @Override
    public OptionalLong padTokenId() {
        return pad;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
