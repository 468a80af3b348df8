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
    /** Interpolation pairs with other classifiers, by identity (Classifier keeps Object's equals). */
    private final Map<Classifier, InterpolationPair> pairs = new java.util.WeakHashMap<>();

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
        return forward(spec, weights, features);
    }

    /** The forward of {@code spec}'s architecture with {@code weights}; see {@link #logits(LayerWeights, NDArray)}. */
    static NDArray forward(ClassifierSpec spec, LayerWeights weights, NDArray features) {
        Shape shape = features.getShape();
        if (shape.dimension() != 2 || shape.get(1) != spec.inputDim()) {
            throw new InvalidModelException("features", "expected shape [batch, " + spec.inputDim() + "], got " + shape);
        }
        NDArray logits;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            logits = spec.modelType().equals("mlp") ? mlp(spec, weights, features) : cnn(spec, weights, features);
            NDScope.unregister(logits);
        }
        return Scopes.handOver(logits, features.getManager());
    }

    private static NDArray mlp(ClassifierSpec spec, LayerWeights w, NDArray x) {
        NDArray h = x;
        for (int i = 0; i < spec.hidden().size(); i++) {
            h = Activation.relu(w.linear(h, "layers." + i));
        }
        return w.linear(h, "head");
    }

    private static NDArray cnn(ClassifierSpec spec, LayerWeights w, NDArray x) {
        long batch = x.getShape().get(0);
        NDArray img = x.reshape(batch, spec.imageChannels(), spec.imageSide(), spec.imageSide());
        NDArray h = Activation.relu(w.conv2d(img, "conv1", 1, 1));
        h = Activation.relu(w.conv2d(h, "conv2", 2, 1));
        return w.linear(h.reshape(batch, -1), "head");
    }

    /**
     * This classifier (A) and {@code other} (B) prepared for interpolating their parameters
     * ({@link InterpolationPair}: the per-sample mixed pass and the merge-once forward), made on first
     * use and cached per {@code other} object; its arrays live on this classifier's parameter manager
     * and are released when this classifier is closed. The pair holds copies taken when it was made:
     * do not change either classifier's parameters after pairing them (train first, then pair).
     */
    public InterpolationPair interpolationWith(Classifier other) {
        synchronized (pairs) {
            InterpolationPair pair = pairs.get(other);
            if (pair == null) {
                pair = new InterpolationPair(params.manager(), this, other);
                pairs.put(other, pair);
            }
            return pair;
        }
    }

    /**
     * Closes the pair {@link #interpolationWith} made with {@code other}, if any: for an owner that closes
     * {@code other} while this classifier lives on (the pair's arrays live on this classifier's manager,
     * so forgetting the entry alone would keep them until this classifier is closed). Nothing may still
     * use that pair.
     */
    public void releaseInterpolationWith(Classifier other) {
        InterpolationPair pair;
        synchronized (pairs) {
            pair = pairs.remove(other);
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Override
    public void close() {
        synchronized (pairs) {
            pairs.clear();
        }
        params.close();
    }
}
