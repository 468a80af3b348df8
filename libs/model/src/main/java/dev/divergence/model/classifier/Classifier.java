package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;
import dev.divergence.model.Scopes;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A classifier (MLP or small CNN, see {@link ClassifierSpec}) as a function of named parameters:
 * {@code features} FP32 [B, dim] to {@code logits} FP32 [B, classes]. Stored like a Hugging Face
 * model folder: config.json + model.safetensors.
 */
public final class Classifier implements AutoCloseable {

    private final ClassifierSpec spec;
    private final Parameters params;

    public Classifier(ClassifierSpec spec, Parameters params) {
        this.spec = spec;
        this.params = params;
        params.requireShapes(spec.parameterShapes());
    }

    /** Fan-in uniform initialisation (as torch.nn.Linear / Conv2d), determined by the seed. */
    public static Classifier initialize(NDManager manager, ClassifierSpec spec, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters params = new Parameters(manager);
        Map<String, Shape> shapes = spec.parameterShapes();
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            String weightName = e.getKey().replace(".bias", ".weight");
            Shape w = shapes.get(weightName);
            long fanIn = w.size() / w.get(0);
            params.put(e.getKey(), Parameters.uniform(params.manager(), e.getValue(), 1.0 / Math.sqrt(fanIn), random));
        }
        return new Classifier(spec, params);
    }

    public static Classifier load(NDManager manager, Path dir) {
        ClassifierSpec spec = ClassifierSpec.read(dir);
        Parameters params = Parameters.load(manager, dir);
        params.castFloats(DataType.FLOAT32);
        return new Classifier(spec, params);
    }

    public void save(Path dir) {
        spec.write(dir);
        params.save(dir);
    }

    public ClassifierSpec spec() {
        return spec;
    }

    public Parameters parameters() {
        return params;
    }

    /** Logits with this classifier's own parameters. */
    public NDArray logits(NDArray features) {
        return logits(new SingleWeights(params), features);
    }

    /**
     * Logits with any layer weights of this architecture (another parameter set, or a per-sample
     * mix of two); the result lives on {@code features}' manager, intermediates are released.
     */
    public NDArray logits(LayerWeights weights, NDArray features) {
        Shape shape = features.getShape();
        if (shape.dimension() != 2 || shape.get(1) != spec.inputDim()) {
            throw new InvalidModelException("features", "expected shape [batch, " + spec.inputDim() + "], got " + shape);
        }
        NDArray logits;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            logits = spec.modelType().equals("mlp") ? mlp(weights, features) : cnn(weights, features);
            NDScope.unregister(logits);
        }
        return Scopes.handOver(logits, features.getManager());
    }

    private NDArray mlp(LayerWeights w, NDArray x) {
        NDArray h = x;
        for (int i = 0; i < spec.hidden().size(); i++) {
            h = Activation.relu(w.linear(h, "layers." + i));
        }
        return w.linear(h, "head");
    }

    private NDArray cnn(LayerWeights w, NDArray x) {
        long batch = x.getShape().get(0);
        NDArray img = x.reshape(batch, spec.imageChannels(), spec.imageSide(), spec.imageSide());
        NDArray h = Activation.relu(w.conv2d(img, "conv1", 1, 1));
        h = Activation.relu(w.conv2d(h, "conv2", 2, 1));
        return w.linear(h.reshape(batch, -1), "head");
    }

    @Override
    public void close() {
        params.close();
    }
}
