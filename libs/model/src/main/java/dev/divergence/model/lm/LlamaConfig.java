package dev.divergence.model.lm;

import dev.divergence.model.InvalidModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The fields of a Hugging Face {@code config.json} that shape a Llama-family decoder
 * (model_type llama, mistral or qwen2). Qwen2 always has q/k/v biases; Llama has them when
 * {@code attention_bias} is true; Mistral (and Qwen2 with {@code use_sliding_window}) may limit
 * attention to a sliding window.
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        Integer slidingWindow,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        String torchDtype) {

    public static final List<String> SUPPORTED_TYPES = List.of("llama", "mistral", "qwen2");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<String, String> ARCHITECTURES = Map.of(
            "llama", "LlamaForCausalLM", "mistral", "MistralForCausalLM", "qwen2", "Qwen2ForCausalLM");

    public LlamaConfig {
        if (!SUPPORTED_TYPES.contains(modelType)) {
            throw new InvalidModelException("model_type", "unsupported architecture '" + modelType + "', expected one of " + SUPPORTED_TYPES);
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numHeads % numKeyValueHeads != 0) {
            throw new InvalidModelException("num_key_value_heads", numKeyValueHeads + " does not divide num_attention_heads " + numHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidModelException("head_dim", "rotary embeddings need an even head dimension, got " + headDim);
        }
        if (!(rmsNormEps > 0)) {
            throw new InvalidModelException("rms_norm_eps", "must be positive, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new InvalidModelException("rope_theta", "must be positive, got " + ropeTheta);
        }
        if (slidingWindow != null && slidingWindow <= 0) {
            throw new InvalidModelException("sliding_window", "must be positive, got " + slidingWindow);
        }
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
        torchDtype = torchDtype == null ? "float32" : torchDtype;
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new InvalidModelException(field, "must be a positive integer, got " + value);
        }
    }

    /** A small Llama config for tests and local assets (untied, no biases, no sliding window). */
    public static LlamaConfig llama(int vocab, int hidden, int intermediate, int layers, int heads,
            int kvHeads, int maxPositions) {
        return new LlamaConfig("llama", vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads,
                maxPositions, 1e-5, 10000.0, false, false, null, null, List.of(), null, "float32");
    }

    public LlamaConfig withTiedEmbeddings(boolean tied) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKeyValueHeads,
                headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tied, attentionBias, slidingWindow, bosTokenId,
                eosTokenIds, padTokenId, torchDtype);
    }

    public LlamaConfig withSpecialTokens(Integer bos, List<Integer> eos, Integer pad) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKeyValueHeads,
                headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings, attentionBias, slidingWindow, bos,
                eos, pad, torchDtype);
    }

    /** Whether q/k/v projections carry biases (always for Qwen2). */
    public boolean qkvBias() {
        return attentionBias || modelType.equals("qwen2");
    }

    public int kvGroups() {
        return numHeads / numKeyValueHeads;
    }

    public long parameterCount() {
        long h = hiddenSize;
        long perLayer = 2 * h + h * numHeads * (long) headDim + 2 * h * numKeyValueHeads * (long) headDim
                + (long) numHeads * headDim * h + 3 * h * intermediateSize;
        if (qkvBias()) {
            perLayer += (long) numHeads * headDim + 2L * numKeyValueHeads * headDim;
        }
        return (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2) + h + numLayers * perLayer;
    }

    public static LlamaConfig read(Path configJson) {
        Path file = java.nio.file.Files.isDirectory(configJson) ? configJson.resolve("config.json") : configJson;
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException(file.toString(), "config.json not found");
        }
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static LlamaConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new InvalidModelException("config.json", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidModelException("config.json", "must be a JSON object");
        }
        String type = string(root, "model_type", null);
        if (type == null) {
            throw new InvalidModelException("model_type", "missing");
        }
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new InvalidModelException("model_type", "unsupported architecture '" + type + "', expected one of " + SUPPORTED_TYPES);
        }
        String act = string(root, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new InvalidModelException("hidden_act", "only 'silu' (SwiGLU) is supported, got '" + act + "'");
        }
        JsonNode ropeScaling = root.get("rope_scaling");
        if (ropeScaling != null && !ropeScaling.isNull()) {
            String ropeType = ropeScaling.path("rope_type").asString(ropeScaling.path("type").asString("default"));
            if (!ropeType.equals("default")) {
                throw new InvalidModelException("rope_scaling", "rope scaling '" + ropeType + "' is not supported");
            }
        }
        if (bool(root, "mlp_bias", false)) {
            throw new InvalidModelException("mlp_bias", "MLP biases are not supported");
        }
        int hidden = integer(root, "hidden_size", null);
        int heads = integer(root, "num_attention_heads", null);
        if (heads <= 0) {
            throw new InvalidModelException("num_attention_heads", "must be a positive integer, got " + heads);
        }
        int headDim = root.hasNonNull("head_dim") ? integer(root, "head_dim", null) : hidden / heads;
        if (!root.hasNonNull("head_dim") && hidden % heads != 0) {
            throw new InvalidModelException("num_attention_heads", heads + " does not divide hidden_size " + hidden);
        }
        Integer window = null;
        boolean windowApplies = type.equals("mistral") || (type.equals("qwen2") && bool(root, "use_sliding_window", false));
        if (windowApplies && root.hasNonNull("sliding_window")) {
            window = integer(root, "sliding_window", null);
        }
        return new LlamaConfig(type,
                integer(root, "vocab_size", null),
                hidden,
                integer(root, "intermediate_size", null),
                integer(root, "num_hidden_layers", null),
                heads,
                integer(root, "num_key_value_heads", heads),
                headDim,
                integer(root, "max_position_embeddings", null),
                number(root, "rms_norm_eps", 1e-6),
                number(root, "rope_theta", 10000.0),
                bool(root, "tie_word_embeddings", !type.equals("llama") && !type.equals("mistral")),
                bool(root, "attention_bias", false),
                window,
                optionalInt(root, "bos_token_id"),
                intList(root, "eos_token_id"),
                optionalInt(root, "pad_token_id"),
                string(root, "torch_dtype", string(root, "dtype", "float32")));
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add(ARCHITECTURES.get(modelType));
        root.put("model_type", modelType);
        root.put("vocab_size", vocabSize);
        root.put("hidden_size", hiddenSize);
        root.put("intermediate_size", intermediateSize);
        root.put("num_hidden_layers", numLayers);
        root.put("num_attention_heads", numHeads);
        root.put("num_key_value_heads", numKeyValueHeads);
        root.put("head_dim", headDim);
        root.put("max_position_embeddings", maxPositionEmbeddings);
        root.put("rms_norm_eps", rmsNormEps);
        root.put("rope_theta", ropeTheta);
        root.put("tie_word_embeddings", tieWordEmbeddings);
        root.put("hidden_act", "silu");
        if (!modelType.equals("qwen2")) {
            root.put("attention_bias", attentionBias);
        }
        if (slidingWindow != null) {
            root.put("sliding_window", slidingWindow);
            if (modelType.equals("qwen2")) {
                root.put("use_sliding_window", true);
            }
        }
        if (bosTokenId != null) {
            root.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            root.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode eos = root.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        if (padTokenId != null) {
            root.put("pad_token_id", padTokenId);
        }
        root.put("torch_dtype", torchDtype);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write config.json to " + dir, e);
        }
    }

    private static int integer(JsonNode root, String field, Integer fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new InvalidModelException(field, "missing");
            }
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new InvalidModelException(field, "must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static Integer optionalInt(JsonNode root, String field) {
        return root.hasNonNull(field) ? integer(root, field, null) : null;
    }

    private static List<Integer> intList(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (n.isArray()) {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isIntegralNumber()) {
                    throw new InvalidModelException(field + "[" + i + "]", "must be an integer, got " + n.get(i));
                }
                out.add(n.get(i).intValue());
            }
            return out;
        }
        return List.of(integer(root, field, null));
    }

    private static double number(JsonNode root, String field, double fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new InvalidModelException(field, "must be a number, got " + n);
        }
        return n.doubleValue();
    }

    private static boolean bool(JsonNode root, String field, boolean fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new InvalidModelException(field, "must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    private static String string(JsonNode root, String field, String fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isString()) {
            throw new InvalidModelException(field, "must be a string, got " + n);
        }
        return n.stringValue();
    }
}
