package dev.divergence.model.classifier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Two classifiers of one architecture, A and B, prepared once for interpolating their parameters
 * theta(w) = w theta_A + (1 - w) theta_B at the cost of little more than a plain forward. On these
 * small models a forward costs mostly DJL's per-op overhead (a JNI crossing and NDArray bookkeeping
 * per op), so both paths below are built to add as few native ops as possible:
 *
 * <ul>
 *   <li>{@link #perSampleLogits}: sample i as if with its own w_i, in one pass. Each parameterised
 *       layer holds both sets concatenated along its output dimension ([W_A; W_B], biases likewise;
 *       for a convolution, A's output channels then B's), so one matmul or convolution yields both
 *       outputs, and one per-sample mix with the coefficients [w_i, 1 - w_i] combines them
 *       (see {@link ConcatenatedMixedWeights}). Exact: every layer is linear in its parameters and the
 *       coefficients sum to one, so the mix equals the layer with the merged weights.</li>
 *   <li>{@link #mergedLogits}: one merged parameter set for the whole batch. Both sets are kept as
 *       flat float arrays in {@link #names() parameter order}; a merge writes
 *       fl(fl(w_A a_k) + fl(w_B b_k)) for every k (the float32 operations of
 *       {@link ParameterMerging#interpolate}, in the same order) straight into a direct buffer that
 *       libtorch reads without a copy: the layer weights are views into it made once, so merging
 *       costs no native op at all, and the forward is the plain one.</li>
 * </ul>
 *
 * <p>The prepared copies are taken when the pair is made: A's and B's parameters must not change
 * afterwards (get pairs through {@link Classifier#interpolationWith}, which caches them per pair of
 * classifier objects). Thread-safe: the concatenated weights are read only, and each concurrent
 * merge takes its own buffer from a pool. Arrays live on a sub-manager of the manager given at
 * construction and are released by {@link #close}.
 */
public final class InterpolationPair implements AutoCloseable {

    private final ClassifierSpec spec;
    private final NDManager manager;
    private final Parameters concatenated;
    private final Parameters blockDiagonal;
    private final String firstLayer;
    private final String lastLayer;
    private final List<String> names;
    private final List<Shape> shapes;
    private final float[] flatA;
    private final float[] flatB;
    private final ConcurrentLinkedDeque<MergedSlot> slots = new ConcurrentLinkedDeque<>();
    private final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<CoefficientSlot>> coefficientSlots = new ConcurrentHashMap<>();

    /** Prepares {@code a} and {@code b} (same spec and tensor layout) on a sub-manager of {@code parent}. */
    public InterpolationPair(NDManager parent, Classifier a, Classifier b) {
        if (!a.spec().parameterShapes().equals(b.spec().parameterShapes()) || !a.spec().modelType().equals(b.spec().modelType())) {
            throw new InvalidModelException("b", "architecture " + b.spec() + " differs from " + a.spec());
        }
        ParameterMerging.requireSameLayout(a.parameters(), b.parameters(), "b");
        this.spec = a.spec();
        this.manager = parent.newSubManager();
        this.concatenated = new Parameters(manager);
        this.names = new ArrayList<>(spec.parameterShapes().keySet());
        this.shapes = new ArrayList<>();
        long total = 0;
        for (String name : names) {
            NDArray pa = a.parameters().get(name).stopGradient();
            NDArray pb = b.parameters().get(name).stopGradient();
            // output dimension first: rows of a linear weight, output channels of a conv weight, bias entries
            concatenated.put(name, kept(pa.concat(pb, 0).toType(DataType.FLOAT32, false)));
            pa.close();
            pb.close();
            shapes.add(a.parameters().get(name).getShape());
            total += a.parameters().get(name).size();
        }
        // the layers after the first see both models' hidden states side by side ([h_A, h_B]): a linear
        // layer takes [[W_A, 0], [0, W_B]], a convolution the concatenated weight in two groups
        this.firstLayer = names.get(0).substring(0, names.get(0).lastIndexOf('.'));
        String last = names.get(names.size() - 1);
        this.lastLayer = last.substring(0, last.lastIndexOf('.'));
        this.blockDiagonal = new Parameters(manager);
        for (String name : names) {
            Shape shape = a.parameters().get(name).getShape();
            if (name.endsWith(".weight") && shape.dimension() == 2 && !name.startsWith(firstLayer + ".")) {
                NDArray pa = a.parameters().get(name).stopGradient();
                NDArray pb = b.parameters().get(name).stopGradient();
                NDArray zeros = pa.zerosLike();
                NDArray top = pa.concat(zeros, 1);
                NDArray bottom = zeros.concat(pb, 1);
                blockDiagonal.put(name, kept(top.concat(bottom, 0).toType(DataType.FLOAT32, false)));
                for (NDArray t : new NDArray[] {pa, pb, zeros, top, bottom}) {
                    t.close();
                }
            }
        }
        if (total > Integer.MAX_VALUE / 4) {
            throw new InvalidModelException("parameters", total + " values: too large for one merge buffer");
        }
        this.flatA = flatten(a.parameters());
        this.flatB = flatten(b.parameters());
    }

    public ClassifierSpec spec() {
        return spec;
    }

    /** The tensor names in the order of the flat parameter vectors. */
    public List<String> names() {
        return List.copyOf(names);
    }

    /** Weights and biases of A and B concatenated along the output dimension (A first), by tensor name. */
    Parameters concatenated() {
        return concatenated;
    }

    /**
     * Logits of sample i under w_i theta_A + (1 - w_i) theta_B, every i in one pass; the result lives
     * on {@code features}' manager.
     *
     * @param weightOfA per-sample w_i, one per row of {@code features}
     */
    public NDArray perSampleLogits(NDArray features, double[] weightOfA) {
        long batch = features.getShape().get(0);
        if (weightOfA.length != batch) {
            throw new InvalidModelException("weights", weightOfA.length + " per-sample weights for a batch of " + batch);
        }
        ConcurrentLinkedDeque<CoefficientSlot> free = coefficientSlots.computeIfAbsent(weightOfA.length, k -> new ConcurrentLinkedDeque<>());
        CoefficientSlot slot = free.pollFirst();
        if (slot == null) {
            slot = new CoefficientSlot(weightOfA.length);
        }
        try {
            // [w_i, 1 - w_i] per sample, 1 - w_i taken in double then rounded, as ParameterMerging does
            for (int i = 0; i < weightOfA.length; i++) {
                slot.buffer.put(2 * i, (float) weightOfA[i]);
                slot.buffer.put(2 * i + 1, (float) (1 - weightOfA[i]));
            }
            return Classifier.forward(spec, new ConcatenatedMixedWeights(concatenated, lastLayer, slot.ofA, slot.ofB, slot.asBatchRows), features);
        } finally {
            // the pass has completed (eager CPU execution) and its result holds no view of the coefficients
            free.offerFirst(slot);
        }
    }

    /**
     * A's and B's own logits in one pass, [B, 2 * classes] (A's classes, then B's): the first layer
     * runs on the concatenated weights (both read the same input), every later one on both hidden
     * states side by side, with block-diagonal weights (linear) or two groups (convolution). The
     * zero blocks add exact zeros, so each half equals that model's own forward up to summation order;
     * the pass costs the native ops of one forward instead of two.
     */
    public NDArray bothLogits(NDArray features) {
        return Classifier.forward(spec, new SideBySideWeights(), features);
    }

    /** Both models' layers on their side-by-side hidden states; see {@link #bothLogits}. */
    private final class SideBySideWeights implements LayerWeights {

        @Override
        public NDArray linear(NDArray x, String prefix) {
            Parameters weights = prefix.equals(firstLayer) ? concatenated : blockDiagonal;
            return ai.djl.nn.core.Linear.linear(x, weights.get(prefix + ".weight"), concatenated.get(prefix + ".bias")).singletonOrThrow();
        }

        @Override
        public NDArray conv2d(NDArray x, String prefix, int stride, int padding) {
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, concatenated.get(prefix + ".weight"), concatenated.get(prefix + ".bias"),
                    new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), prefix.equals(firstLayer) ? 1 : 2)
                    .singletonOrThrow();
        }
    }

    /**
     * Logits under the one merged set w theta_A + (1 - w) theta_B; the result lives on
     * {@code features}' manager. The merged values are those of {@link ParameterMerging#interpolate}
     * to the last bit (same float32 operations), see {@link #merge}.
     */
    public NDArray mergedLogits(NDArray features, double weightOfA) {
        MergedSlot slot = slots.pollFirst();
        if (slot == null) {
            slot = new MergedSlot();
        }
        try {
            merge(weightOfA, slot.values);
            slot.buffer.clear();
            slot.buffer.put(slot.values);
            return slot.classifier.logits(features);
        } finally {
            // the forward has completed (eager CPU execution): the buffer may be rewritten by the next merge
            slots.offerFirst(slot);
        }
    }

    /**
     * Writes w theta_A + (1 - w) theta_B, flattened in {@link #names()} order, into {@code out}:
     * fl(fl(w_A a_k) + fl(w_B b_k)) with w_A = (float) w and w_B = (float) (1 - w), the operations of
     * {@link ParameterMerging#weightedSum} (Java evaluates each float operation in IEEE single precision
     * and never contracts a multiply and an add into an FMA).
     */
    public void merge(double weightOfA, float[] out) {
        if (!Double.isFinite(weightOfA)) {
            throw new InvalidModelException("weight", "must be finite, got " + weightOfA);
        }
        float wa = (float) weightOfA;
        float wb = (float) (1 - weightOfA);
        for (int k = 0; k < flatA.length; k++) {
            out[k] = wa * flatA[k] + wb * flatB[k];
        }
    }

    /** Number of values in one flat parameter vector. */
    public int parameterCount() {
        return flatA.length;
    }

    private float[] flatten(Parameters params) {
        float[] flat = new float[Math.toIntExact(params.elementCount())];
        int offset = 0;
        for (String name : names) {
            NDArray p = params.get(name);
            float[] values = p.getDataType() == DataType.FLOAT32 ? p.toFloatArray() : p.toType(DataType.FLOAT32, false).toFloatArray();
            System.arraycopy(values, 0, flat, offset, values.length);
            offset += values.length;
        }
        return flat;
    }

    /**
     * A merge target: a direct buffer libtorch reads in place, the layer weights as views into it (made
     * once), and a classifier over those views.
     */
    private final class MergedSlot {
        final float[] values = new float[flatA.length];
        /** Kept reachable for as long as the tensor that reads it. */
        final ByteBuffer direct;
        final FloatBuffer buffer;
        final Classifier classifier;

        MergedSlot() {
            this.direct = alignedDirect(flatA.length * Float.BYTES);
            this.buffer = direct.asFloatBuffer();
            NDArray flat = kept(manager.create(direct, new Shape(flatA.length), DataType.FLOAT32));
            Parameters views = new Parameters(manager);
            long offset = 0;
            for (int i = 0; i < names.size(); i++) {
                Shape shape = shapes.get(i);
                views.put(names.get(i), kept(flat.get(new NDIndex().addSliceDim(offset, offset + shape.size())).reshape(shape)));
                offset += shape.size();
            }
            this.classifier = new Classifier(spec, views);
        }
    }

    /**
     * Per-sample coefficients for one batch size: a direct buffer libtorch reads in place, [B, 2] with
     * (w_i, 1 - w_i) per row, and the views a mixed pass uses, made once.
     */
    private final class CoefficientSlot {
        /** Kept reachable for as long as the tensor that reads it. */
        final ByteBuffer direct;
        final FloatBuffer buffer;
        final NDArray ofA;
        final NDArray ofB;
        final NDArray asBatchRows;

        CoefficientSlot(int batch) {
            this.direct = alignedDirect(2 * batch * Float.BYTES);
            this.buffer = direct.asFloatBuffer();
            NDArray pairs = kept(manager.create(direct, new Shape(batch, 2), DataType.FLOAT32));
            NDList columns = pairs.split(2, 1);
            this.ofA = kept(columns.get(0));
            this.ofB = kept(columns.get(1));
            this.asBatchRows = kept(pairs.reshape(batch, 1, 2));
        }
    }

    /** A direct buffer of {@code bytes}, 64-byte aligned like libtorch's own allocations, in native order as from_blob reads it. */
    private static ByteBuffer alignedDirect(int bytes) {
        return ByteBuffer.allocateDirect((bytes + 63) / 64 * 64 + 64).alignedSlice(64).limit(bytes).slice().order(ByteOrder.nativeOrder());
    }

    /**
     * Takes {@code array} out of any {@link NDScope} open on this thread (the caller's, when a pair is
     * made inside one): the pair's arrays live until {@link #close}, on its manager.
     */
    private static NDArray kept(NDArray array) {
        NDScope.unregister(array);
        return array;
    }

    /** Releases the prepared arrays and merge buffers. */
    @Override
    public void close() {
        manager.close();
    }
}
