package dev.divergence.modelserver.backend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.ModelConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A libs/model classifier behind the protocol: input {@code features} [batch, dim] to output
 * {@code logits} [batch, classes]; optionally {@code labels} BYTES [batch, 1], the name of each
 * row's highest-scoring class. Features and logits may be declared FP32, FP16 or BF16: the model
 * computes in FP32 and the server converts at the edge, so half-precision clients halve traffic.
 */
public final class ClassifierBackend implements ModelBackend {

    static final String FEATURES = "features";
    static final String LOGITS = "logits";
    static final String LABELS = "labels";
    private static final List<TensorType> FLOATS = List.of(TensorType.FP32, TensorType.FP16, TensorType.BF16);

    private final NDManager manager;
    private final Classifier classifier;
    private final TensorType logitsType;
    private final List<String> classNames;

    ClassifierBackend(NDManager parent, ModelConfig config, Path versionDir) {
        this.manager = parent.newSubManager();
        try {
            this.classifier = Classifier.load(manager, versionDir);
            int dim = classifier.spec().inputDim();
            int classes = classifier.spec().numClasses();
            ConfigChecks.requireOnly(config, List.of(FEATURES), List.of(LOGITS, LABELS));
            ConfigChecks.requireInput(config, FEATURES, FLOATS, new long[] {dim});
            this.logitsType = ConfigChecks.typeOf(ConfigChecks.requireOutput(config, LOGITS, FLOATS, new long[] {classes}).getDataType());
            ConfigChecks.optionalOutput(config, LABELS, List.of(TensorType.BYTES), new long[] {1});
            List<String> names = classifier.spec().classNames();
            if (names.isEmpty()) {
                names = new ArrayList<>();
                for (int c = 0; c < classes; c++) {
                    names.add(Integer.toString(c));
                }
            }
            this.classNames = List.copyOf(names);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public synchronized Map<String, Tensor> execute(Map<String, Tensor> inputs, Set<String> outputs) {
        Tensor features = inputs.get(FEATURES);
        long batch = features.shape()[0];
        int classes = classifier.spec().numClasses();
        float[] logits;
        try (NDManager request = manager.newSubManager()) {
            NDArray x = request.create(features.toFloats(), new Shape(batch, classifier.spec().inputDim()));
            logits = classifier.logits(x).toFloatArray();
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        if (outputs.contains(LOGITS)) {
            result.put(LOGITS, Tensor.floats(logitsType, new long[] {batch, classes}, logits));
        }
        if (outputs.contains(LABELS)) {
            List<byte[]> labels = new ArrayList<>();
            for (int row = 0; row < batch; row++) {
                labels.add(classNames.get(argmax(logits, row * classes, classes)).getBytes(StandardCharsets.UTF_8));
            }
            result.put(LABELS, Tensor.bytes(new long[] {batch, 1}, labels));
        }
        return result;
    }

    private static int argmax(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public synchronized void close() {
        manager.close();
    }
}
