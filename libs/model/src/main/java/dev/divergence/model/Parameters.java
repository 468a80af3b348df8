package dev.divergence.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.io.Checkpoints;
import dev.divergence.model.io.SafeTensorDType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A model's named weights (Hugging Face tensor names) on their own NDManager. Models are plain
 * functions of a Parameters object, which keeps merging, averaging and optimiser updates simple:
 * they all work on names and arrays, never on framework blocks.
 */
public final class Parameters implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    /** On-disk dtypes of loaded tensors, so saving writes bf16 checkpoints back as bf16. */
    private final Map<String, SafeTensorDType> storedTypes = new LinkedHashMap<>();

    public Parameters(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    public NDManager manager() {
        return manager;
    }

    /** Takes ownership of {@code array} (moves it onto this set's manager). */
    public Parameters put(String name, NDArray array) {
        array.attach(manager);
        array.setName(name);
        NDArray old = arrays.put(name, array);
        if (old != null && old != array) {
            old.close();
        }
        return this;
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) {
            throw new InvalidModelException(name, "missing parameter");
        }
        return a;
    }

    /** Drops and releases one array (no-op when absent). */
    public void remove(String name) {
        NDArray old = arrays.remove(name);
        if (old != null) {
            old.close();
        }
    }

    public boolean contains(String name) {
        return arrays.containsKey(name);
    }

    public Map<String, NDArray> asMap() {
        return Collections.unmodifiableMap(arrays);
    }

    public long elementCount() {
        return arrays.values().stream().mapToLong(NDArray::size).sum();
    }

    /**
     * Checks names and shapes against what an architecture expects: every expected tensor present
     * with the right shape, nothing unexpected left over (a typo in a name must not be ignored).
     */
    public void requireShapes(Map<String, Shape> expected) {
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            NDArray a = arrays.get(e.getKey());
            if (a == null) {
                throw new InvalidModelException(e.getKey(), "missing tensor (expected shape " + e.getValue() + ")");
            }
            if (!a.getShape().equals(e.getValue())) {
                throw new InvalidModelException(e.getKey(), "shape " + a.getShape() + " does not match expected " + e.getValue());
            }
        }
        for (String name : arrays.keySet()) {
            if (!expected.containsKey(name)) {
                throw new InvalidModelException(name, "unexpected tensor for this architecture");
            }
        }
    }

    /** Turns on gradients for every array (training). */
    public void requireGradients() {
        arrays.values().forEach(a -> a.setRequiresGradient(true));
    }

    /** A deep copy on a new sub-manager of {@code parent}, without gradients. */
    public Parameters copy(NDManager parent) {
        Parameters out = new Parameters(parent);
        arrays.forEach((name, a) -> out.put(name, a.stopGradient().duplicate()));
        return out;
    }

    /** Converts floating-point arrays to {@code type} (e.g. bf16 checkpoints to fp32 on load). */
    public void castFloats(DataType type) {
        for (Map.Entry<String, NDArray> e : Map.copyOf(arrays).entrySet()) {
            NDArray a = e.getValue();
            if (a.getDataType().isFloating() && a.getDataType() != type) {
                put(e.getKey(), a.toType(type, false));
            }
        }
    }

    public static Parameters load(NDManager parent, Path checkpoint) {
        Parameters p = new Parameters(parent);
        Checkpoints.load(p.manager, checkpoint).forEach(p::put);
        p.storedTypes.putAll(Checkpoints.storedTypes(checkpoint));
        return p;
    }

    public void save(Path dir) {
        Map<String, SafeTensorDType> storeAs = new LinkedHashMap<>();
        storedTypes.forEach((name, type) -> {
            if (arrays.containsKey(name)) {
                storeAs.put(name, type);
            }
        });
        Checkpoints.save(dir, arrays, storeAs, Checkpoints.DEFAULT_MAX_SHARD_BYTES);
    }

    /** Normal(0, std) weights drawn in Java so the same seed gives the same model everywhere. */
    public static NDArray normal(NDManager manager, Shape shape, double std, SplittableRandom random) {
        float[] data = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (nextGaussian(random) * std);
        }
        return manager.create(data, shape);
    }

    /** Uniform(-bound, bound), the usual fan-in initialisation of linear and conv layers. */
    public static NDArray uniform(NDManager manager, Shape shape, double bound, SplittableRandom random) {
        float[] data = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return manager.create(data, shape);
    }

    private static double nextGaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian before Java 17's RandomGenerator default
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public void close() {
        manager.close();
    }
}
