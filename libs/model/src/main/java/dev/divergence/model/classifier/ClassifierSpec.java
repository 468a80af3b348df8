package dev.divergence.model.classifier;

import ai.djl.ndarray.types.Shape;
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
 * A classifier architecture as stored in its {@code config.json}: {@code model_type} "mlp"
 * (features, hidden sizes, classes) or "cnn" (an image side x side x channels flattened into the
 * features, two convolutions, a linear head). Input is always {@code features} FP32 [B, dim].
 */
public record ClassifierSpec(String modelType, int inputDim, List<Integer> hidden, int numClasses,
        int imageSide, int imageChannels, List<String> classNames) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ClassifierSpec {
        if (!modelType.equals("mlp") && !modelType.equals("cnn")) {
            throw new InvalidModelException("model_type", "unsupported classifier '" + modelType + "', expected mlp or cnn");
        }
        if (inputDim <= 0) {
            throw new InvalidModelException("input_dim", "must be positive, got " + inputDim);
        }
        if (numClasses < 2) {
            throw new InvalidModelException("num_classes", "must be at least 2, got " + numClasses);
        }
        hidden = List.copyOf(hidden);
        for (int i = 0; i < hidden.size(); i++) {
            if (hidden.get(i) <= 0) {
                throw new InvalidModelException("hidden_sizes[" + i + "]", "must be positive, got " + hidden.get(i));
            }
        }
        if (modelType.equals("cnn")) {
            if (hidden.size() != 2) {
                throw new InvalidModelException("hidden_sizes", "a cnn takes two channel counts, got " + hidden);
            }
            if (imageSide <= 0 || imageChannels <= 0 || imageSide * imageSide * imageChannels != inputDim) {
                throw new InvalidModelException("image_size", imageSide + "x" + imageSide + "x" + imageChannels + " does not match input_dim " + inputDim);
            }
        }
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new InvalidModelException("class_names", classNames.size() + " names for " + numClasses + " classes");
        }
    }

    public static ClassifierSpec mlp(int inputDim, List<Integer> hidden, int numClasses) {
        return new ClassifierSpec("mlp", inputDim, hidden, numClasses, 0, 0, List.of());
    }

    /** Two 3x3 convolutions (the second with stride 2) and a linear head, for small square images. */
    public static ClassifierSpec cnn(int side, int channels, int conv1, int conv2, int numClasses) {
        return new ClassifierSpec("cnn", side * side * channels, List.of(conv1, conv2), numClasses, side, channels, List.of());
    }

    public ClassifierSpec withClassNames(List<String> names) {
        return new ClassifierSpec(modelType, inputDim, hidden, numClasses, imageSide, imageChannels, names);
    }

    /** Side of the feature map after the stride-2 convolution (padding 1, kernel 3). */
    int downsampledSide() {
        return (imageSide + 2 - 3) / 2 + 1;
    }

    public Map<String, Shape> parameterShapes() {
        Map<String, Shape> s = new java.util.LinkedHashMap<>();
        if (modelType.equals("mlp")) {
            int in = inputDim;
            for (int i = 0; i < hidden.size(); i++) {
                s.put("layers." + i + ".weight", new Shape(hidden.get(i), in));
                s.put("layers." + i + ".bias", new Shape(hidden.get(i)));
                in = hidden.get(i);
            }
            s.put("head.weight", new Shape(numClasses, in));
            s.put("head.bias", new Shape(numClasses));
        } else {
            s.put("conv1.weight", new Shape(hidden.get(0), imageChannels, 3, 3));
            s.put("conv1.bias", new Shape(hidden.get(0)));
            s.put("conv2.weight", new Shape(hidden.get(1), hidden.get(0), 3, 3));
            s.put("conv2.bias", new Shape(hidden.get(1)));
            int side = downsampledSide();
            s.put("head.weight", new Shape(numClasses, (long) hidden.get(1) * side * side));
            s.put("head.bias", new Shape(numClasses));
        }
        return s;
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("model_type", modelType);
        root.put("input_dim", inputDim);
        ArrayNode h = root.putArray("hidden_sizes");
        hidden.forEach(h::add);
        root.put("num_classes", numClasses);
        if (modelType.equals("cnn")) {
            root.put("image_size", imageSide);
            root.put("num_channels", imageChannels);
        }
        if (!classNames.isEmpty()) {
            ArrayNode names = root.putArray("class_names");
            classNames.forEach(names::add);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    public static ClassifierSpec read(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve("config.json") : dir;
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new InvalidModelException(file.toString(), "cannot read classifier config", e);
        }
    }

    public static ClassifierSpec parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new InvalidModelException("config.json", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        List<Integer> hidden = new ArrayList<>();
        JsonNode h = root.path("hidden_sizes");
        for (int i = 0; i < h.size(); i++) {
            hidden.add(requiredInt(h.get(i), "hidden_sizes[" + i + "]"));
        }
        List<String> names = new ArrayList<>();
        root.path("class_names").forEach(n -> names.add(n.asString()));
        String type = root.path("model_type").asString(null);
        if (type == null) {
            throw new InvalidModelException("model_type", "missing");
        }
        return new ClassifierSpec(type, requiredInt(root.get("input_dim"), "input_dim"), hidden,
                requiredInt(root.get("num_classes"), "num_classes"), root.path("image_size").asInt(0),
                root.path("num_channels").asInt(0), names);
    }

    private static int requiredInt(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            throw new InvalidModelException(field, "missing");
        }
        if (!n.isIntegralNumber()) {
            throw new InvalidModelException(field, "must be an integer, got " + n);
        }
        return n.intValue();
    }

    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write config.json to " + dir, e);
        }
    }
}
