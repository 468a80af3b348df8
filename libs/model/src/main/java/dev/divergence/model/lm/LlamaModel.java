package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.ndarray.types.SparseFormat;
import dev.divergence.model.ComputePrecision;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;
import dev.divergence.model.Scopes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder (RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query attention,
 * tied or untied embeddings) written as a function of Hugging Face-named parameters, so
 * checkpoints move to and from the Hugging Face ecosystem unchanged.
 *
 * <p>Padding: {@code attentionMask} marks real tokens with 1. Rotary positions count real
 * tokens only (as Hugging Face {@code generate()} does), so left padding changes nothing for the
 * real tokens; outputs at padded positions are finite but meaningless.
 */
public final class LlamaModel implements AutoCloseable {

    /** Finite "minus infinity": fully masked rows (padding queries) stay NaN-free. */
    private static final float MASKED = -1e30f;

    private final LlamaConfig config;
    private final Parameters params;
    private final NDArray inverseFrequencies;
    /** Tensor names per layer, built once: string concatenation per op showed up in decode profiles. */
    private final LayerNames[] layerNames;
    // Scalars as tensors, made once: DJL turns every Java-number operand into a fresh native
    // scalar tensor (a direct buffer allocation per call), a measurable cost per layer.
    private final NDArray normEpsilon;
    /** rotate_half as a [head_dim, head_dim] signed permutation: x @ R = [-x2, x1], exactly. */
    private final NDArray rotateHalf;
    private volatile NDArray rotary;
    private volatile ComputePrecision precision = ComputePrecision.FP32;
    /** Causal (and sliding-window) biases [T, S] by (T, past length), reused across calls. */
    private final Map<Long, NDArray> causalBiases = new java.util.concurrent.ConcurrentHashMap<>();
    /** The decoder's parameterised ops on its own parameters (the plain forward). */
    private final DecoderWeights own;

    public LlamaModel(LlamaConfig config, Parameters params) {
        this.config = config;
        this.params = params;
        if (config.tieWordEmbeddings() && params.contains("lm_head.weight")) {
            // some exporters write the tied head anyway; the embedding is the source of truth
            params.remove("lm_head.weight");
        }
        params.requireShapes(expectedShapes(config));
        float[] inv = new float[config.headDim() / 2];
        for (int i = 0; i < inv.length; i++) {
            // float32 as in the reference implementation: theta ** (2i / d) then reciprocal
            inv[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (float) (2 * i) / config.headDim()));
        }
        this.inverseFrequencies = params.manager().create(inv);
        this.layerNames = new LayerNames[config.numLayers()];
        for (int l = 0; l < layerNames.length; l++) {
            layerNames[l] = new LayerNames("model.layers." + l + ".");
        }
        this.rotateHalf = rotateHalfMatrix(params.manager(), config.headDim());
        this.normEpsilon = params.manager().create((float) config.rmsNormEps());
        NDScope.unregister(inverseFrequencies, rotateHalf, normEpsilon); // the model's own, whatever scope builds it
        this.own = new SingleDecoderWeights(params, config.tieWordEmbeddings());
    }

    /** Loads {@code config.json} and the safetensors weights of a Hugging Face model folder. */
    public static LlamaModel load(NDManager manager, Path dir) {
        LlamaConfig config = LlamaConfig.read(dir);
        Parameters params = Parameters.load(manager, dir);
        params.castFloats(DataType.FLOAT32);
        return new LlamaModel(config, params);
    }

    /** Random initialisation (normal, std 0.02; norms at 1) that depends only on the seed. */
    public static LlamaModel initialize(NDManager manager, LlamaConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Parameters params = new Parameters(manager);
        for (Map.Entry<String, Shape> e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            NDArray a = name.endsWith("norm.weight")
                    ? params.manager().ones(e.getValue())
                    : name.endsWith(".bias")
                            ? params.manager().zeros(e.getValue())
                            : Parameters.normal(params.manager(), e.getValue(), 0.02, random);
            params.put(name, a);
        }
        return new LlamaModel(config, params);
    }

    public void save(Path dir) {
        config.write(dir);
        params.save(dir);
    }

    public LlamaConfig config() {
        return config;
    }

    /**
     * Precision of the matrix products from now on (autocast style, weights stay float32; see
     * {@link ComputePrecision}). Default {@link ComputePrecision#FP32}.
     */
    public LlamaModel computePrecision(ComputePrecision precision) {
        this.precision = java.util.Objects.requireNonNull(precision, "precision");
        return this;
    }

    public ComputePrecision computePrecision() {
        return precision;
    }

    public Parameters parameters() {
        return params;
    }

    public static Map<String, Shape> expectedShapes(LlamaConfig c) {
        Map<String, Shape> s = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            s.put(p + "input_layernorm.weight", new Shape(h));
            s.put(p + "self_attn.q_proj.weight", new Shape(q, h));
            s.put(p + "self_attn.k_proj.weight", new Shape(kv, h));
            s.put(p + "self_attn.v_proj.weight", new Shape(kv, h));
            if (c.qkvBias()) {
                s.put(p + "self_attn.q_proj.bias", new Shape(q));
                s.put(p + "self_attn.k_proj.bias", new Shape(kv));
                s.put(p + "self_attn.v_proj.bias", new Shape(kv));
            }
            s.put(p + "self_attn.o_proj.weight", new Shape(h, q));
            s.put(p + "post_attention_layernorm.weight", new Shape(h));
            s.put(p + "mlp.gate_proj.weight", new Shape(c.intermediateSize(), h));
            s.put(p + "mlp.up_proj.weight", new Shape(c.intermediateSize(), h));
            s.put(p + "mlp.down_proj.weight", new Shape(h, c.intermediateSize()));
        }
        s.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(c.vocabSize(), h));
        }
        return s;
    }

    /** Full-sequence logits [B, T, V] without a cache. */
    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputIds, attentionMask, null);
    }

    /**
     * Logits [B, T, V] for {@code inputIds} [B, T] (int64). With a cache, the new tokens attend
     * to everything cached before them and their keys/values are appended (prefill = first call,
     * steps = later calls). The result lives on {@code inputIds}' manager; every intermediate
     * array is released before returning (the autograd graph keeps what backward needs).
     * Equals {@code lmHead(hiddenStates(inputIds, attentionMask, cache))}.
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, KvCache cache) {
        return decode(own, inputIds, attentionMask, cache, true);
    }

    /**
     * Logits [B, T, V] as if row i of the batch ran with the merged weights
     * {@code lambda_i * this + (1 - lambda_i) * other} (T³-style per-sample merging), without
     * materialising any merged weight set: every parameterised op of the decoder is linear in its
     * parameters (embedding lookup, projections, RMSNorm's scale, LM head), so each one is evaluated
     * with both parameter sets and the two outputs mixed per row before the next non-linearity.
     * Costs about two forwards; no KV cache.
     *
     * @param other a decoder of the same configuration and tensor layout
     * @param lambda per-row coefficients [B] of this model, float32
     */
    public NDArray forwardMixed(LlamaModel other, NDArray lambda, NDArray inputIds, NDArray attentionMask) {
        if (!config.equals(other.config)) {
            throw new InvalidModelException("other", "the two decoders' configurations differ");
        }
        dev.divergence.model.ParameterMerging.requireSameLayout(params, other.params, "other");
        Shape shape = inputIds.getShape();
        if (lambda.getShape().dimension() != 1 || shape.dimension() < 1 || lambda.getShape().get(0) != shape.get(0)) {
            throw new InvalidModelException("lambda", "expected shape [" + (shape.dimension() < 1 ? "batch" : shape.get(0))
                    + "], got " + lambda.getShape());
        }
        return decode(new MixedDecoderWeights(own, other.own, lambda), inputIds, attentionMask, null, true);
    }

    /** Final hidden states [B, T, hidden] without a cache; see {@link #hiddenStates(NDArray, NDArray, KvCache)}. */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask) {
        return hiddenStates(inputIds, attentionMask, null);
    }

    /**
     * The decoder's output [B, T, hidden] after the final RMSNorm, before the LM head: same
     * masks, positions and cache semantics as {@link #forward(NDArray, NDArray, KvCache)}.
     * Losses over large vocabularies apply {@link #lmHead} to slices of it so that [B, T, V]
     * never exists at once; gradients flow through both.
     */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, KvCache cache) {
        return decode(own, inputIds, attentionMask, cache, false);
    }

    /**
     * Logits for hidden states of any leading shape ([N, hidden], [B, t, hidden], ...): the
     * untied {@code lm_head.weight} or, when tied, the token embedding. Like any single op, the
     * result lives on {@code hidden}'s manager and in the caller's innermost scope.
     */
    public NDArray lmHead(NDArray hidden) {
        Shape shape = hidden.getShape();
        if (shape.dimension() < 1 || shape.get(shape.dimension() - 1) != config.hiddenSize()) {
            throw new InvalidModelException("hidden_states", "expected last dimension " + config.hiddenSize()
                    + ", got shape " + shape);
        }
        return own.head(precision, hidden);
    }

    private NDArray decode(DecoderWeights weights, NDArray inputIds, NDArray attentionMask, KvCache cache, boolean withHead) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new InvalidModelException("input_ids", "expected shape [batch, seq], got " + shape);
        }
        int batch = Math.toIntExact(shape.get(0));
        int seq = Math.toIntExact(shape.get(1));
        if (seq == 0) {
            throw new InvalidModelException("input_ids", "empty sequence");
        }
        boolean[][] mask = readMask(attentionMask, batch, seq);
        if (cache != null && cache.batch() != batch) {
            throw new InvalidModelException("kv_cache", "holds " + cache.batch() + " rows but input_ids has " + batch);
        }
        long[] realTokens = new long[batch];
        long[] positions = positions(mask, cache, realTokens);
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray hidden = run(weights, inputIds, mask, positions, cache, batch, seq);
            out = withHead ? weights.head(precision, hidden) : hidden;
            NDScope.unregister(out);
        }
        if (cache != null) {
            cache.advance(mask, realTokens);
        }
        return Scopes.handOver(out, inputIds.getManager());
    }

    private NDArray run(DecoderWeights weights, NDArray inputIds, boolean[][] mask, long[] positions, KvCache cache, int batch, int seq) {
        NDManager m = inputIds.getManager();
        int past = cache == null ? 0 : cache.length();
        int keysLen = past + seq;
        NDArray additiveMask = attentionBias(m, mask, cache, batch, seq, past, keysLen);
        long maxPosition = 0;
        for (long p : positions) {
            maxPosition = Math.max(maxPosition, p);
        }
        NDArray pos = m.create(positions, new Shape(batch, seq));
        // one lookup for [cos | sin | cos/sqrt(d) | sin/sqrt(d)], split into views [B, T, 1, d]
        NDList angles = Embedding.embedding(pos, rotaryTable(maxPosition), SparseFormat.DENSE).singletonOrThrow()
                .reshape(batch, seq, 1, 4L * config.headDim()).split(4, 3);
        NDArray cos = angles.get(0);
        NDArray sin = angles.get(1);
        NDArray scaledCos = angles.get(2);
        NDArray scaledSin = angles.get(3);

        NDArray x = weights.embed(inputIds);
        int h = config.numHeads();
        int kvh = config.numKeyValueHeads();
        int d = config.headDim();
        int groups = config.kvGroups();
        ComputePrecision compute = precision;
        for (int l = 0; l < config.numLayers(); l++) {
            LayerNames n = layerNames[l];
            NDArray xn = rmsNorm(weights, x, n.inputNorm);
            // rotary embeddings on the contiguous [B, T, heads, d] projections, before the
            // transpose; the attention scale 1/sqrt(d) rides on the query's tables
            NDArray q = rotate(weights.linear(compute, xn, n.q).reshape(batch, seq, h, d), scaledCos, scaledSin).transpose(0, 2, 1, 3);
            NDArray k = rotate(weights.linear(compute, xn, n.k).reshape(batch, seq, kvh, d), cos, sin).transpose(0, 2, 1, 3);
            NDArray v = weights.linear(compute, xn, n.v).reshape(batch, seq, kvh, d).transpose(0, 2, 1, 3);
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v);
                k = kv[0];
                v = kv[1];
            }
            // grouped-query attention without copying keys/values: query heads of one kv group
            // (heads j*groups .. j*groups+groups-1, as repeat_kv lays them out) share one matmul
            NDArray scores = compute.matMul(q.reshape(batch, kvh, (long) groups * seq, d), k.transpose(0, 1, 3, 2))
                    .reshape(batch, kvh, groups, seq, keysLen);
            if (additiveMask != null) {
                scores = scores.add(additiveMask);
            }
            NDArray probs = scores.softmax(-1).reshape(batch, kvh, (long) groups * seq, keysLen);
            NDArray attn = compute.matMul(probs, v).reshape(batch, h, seq, d).transpose(0, 2, 1, 3)
                    .reshape(batch, seq, (long) h * d);
            x = x.add(weights.linear(compute, attn, n.o));
            xn = rmsNorm(weights, x, n.postNorm);
            NDArray gateIn = weights.linear(compute, xn, n.gate);
            NDArray gate = gateIn.mul(Activation.sigmoid(gateIn)); // SiLU
            x = x.add(weights.linear(compute, gate.mul(weights.linear(compute, xn, n.up)), n.down));
        }
        return rmsNorm(weights, x, "model.norm.weight");
    }

    private record LayerNames(String inputNorm, String postNorm, String[] q, String[] k, String[] v, String[] o,
            String[] gate, String[] up, String[] down) {

        LayerNames(String p) {
            this(p + "input_layernorm.weight", p + "post_attention_layernorm.weight", proj(p + "self_attn.q_proj"),
                    proj(p + "self_attn.k_proj"), proj(p + "self_attn.v_proj"), proj(p + "self_attn.o_proj"),
                    proj(p + "mlp.gate_proj"), proj(p + "mlp.up_proj"), proj(p + "mlp.down_proj"));
        }

        private static String[] proj(String prefix) {
            return new String[] {prefix + ".weight", prefix + ".bias"};
        }
    }

    private NDArray rmsNorm(DecoderWeights weights, NDArray x, String weight) {
        NDArray rms = x.square().mean(new int[] {-1}, true).add(normEpsilon).sqrt();
        return weights.scale(x.div(rms), weight);
    }

    /**
     * x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1] (Hugging Face convention). The
     * half rotation is one small matmul with a signed permutation (exact: one non-zero term per
     * output) instead of split, neg and concat, which halves the ops here and in backward.
     */
    private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
    }

    private static NDArray rotateHalfMatrix(NDManager manager, int d) {
        float[] r = new float[d * d];
        int half = d / 2;
        for (int i = 0; i < half; i++) {
            r[(i + half) * d + i] = -1f; // output i takes -x[i + d/2]
            r[i * d + i + half] = 1f; // output i + d/2 takes x[i]
        }
        return manager.create(r, new Shape(d, d));
    }

    private static boolean[][] readMask(NDArray attentionMask, int batch, int seq) {
        boolean[][] mask = new boolean[batch][seq];
        if (attentionMask == null) {
            for (boolean[] row : mask) {
                java.util.Arrays.fill(row, true);
            }
            return mask;
        }
        if (!attentionMask.getShape().equals(new Shape(batch, seq))) {
            throw new InvalidModelException("attention_mask", "shape " + attentionMask.getShape()
                    + " does not match input_ids [" + batch + ", " + seq + "]");
        }
        long[] flat = attentionMask.toType(DataType.INT64, false).toLongArray();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                mask[b][t] = flat[b * seq + t] != 0;
            }
        }
        return mask;
    }

    /**
     * The rotary table [n, 4 * head_dim] of positions [0, n): cos, sin, and both divided by
     * sqrt(head_dim) (the query's copy carries the attention scale), n a power of two covering
     * {@code maxPosition} (grown on demand, so a 128k-context config does not pay for 128k rows up
     * front); angles in float32 as the reference computes them (position * inv_freq), halves
     * repeated. A replaced table stays on the model's manager (at most doubling, so bounded)
     * because another thread may still be reading it.
     */
    private NDArray rotaryTable(long maxPosition) {
        NDArray table = rotary;
        if (table != null && table.getShape().get(0) > maxPosition) {
            return table;
        }
        synchronized (this) {
            table = rotary;
            if (table != null && table.getShape().get(0) > maxPosition) {
                return table;
            }
            int rows = (int) Math.min(Long.highestOneBit(Math.max(maxPosition, 63)) * 2, config.maxPositionEmbeddings());
            int d = config.headDim();
            float scale = (float) (1.0 / Math.sqrt(d));
            float[] inv = inverseFrequencies.toFloatArray();
            float[] t = new float[rows * 4 * d];
            for (int p = 0; p < rows; p++) {
                int row = p * 4 * d;
                for (int i = 0; i < d / 2; i++) {
                    float angle = p * inv[i];
                    float cos = (float) Math.cos(angle);
                    float sin = (float) Math.sin(angle);
                    for (int half : new int[] {0, d / 2}) {
                        t[row + half + i] = cos;
                        t[row + d + half + i] = sin;
                        t[row + 2 * d + half + i] = cos * scale;
                        t[row + 3 * d + half + i] = sin * scale;
                    }
                }
            }
            table = params.manager().create(t, new Shape(rows, 4L * d));
            NDScope.unregister(table); // owned by the model, not by the calling scope
            rotary = table;
            return table;
        }
    }

    private long[] positions(boolean[][] mask, KvCache cache, long[] realTokens) {
        int batch = mask.length;
        int seq = mask[0].length;
        long[] out = new long[batch * seq];
        for (int b = 0; b < batch; b++) {
            long start = cache == null ? 0 : cache.nextPosition(b);
            long seen = 0;
            for (int t = 0; t < seq; t++) {
                if (mask[b][t]) {
                    seen++;
                }
                out[b * seq + t] = start + Math.max(seen - 1, 0);
            }
            realTokens[b] = seen;
            if (start + seen > config.maxPositionEmbeddings()) {
                throw new InvalidModelException("input_ids", "sequence length " + (start + seen)
                        + " exceeds the context of " + config.maxPositionEmbeddings() + " (max_position_embeddings)");
            }
        }
        return out;
    }

    /**
     * Additive attention bias broadcastable to [B, kvHeads, groups, T, S], or null when nothing is
     * masked (single-token steps over unpadded caches): 0 where query t may see key s (causal,
     * not padding, inside the sliding window), a large negative number elsewhere. Built from a
     * per-row key-padding part [B, 1, 1, 1, S] and a cached causal part [T, S], so the host only
     * writes B*S values per call.
     */
    private NDArray attentionBias(NDManager m, boolean[][] mask, KvCache cache, int batch, int seq, int past, int keysLen) {
        float[] keyBias = new float[batch * keysLen];
        boolean padded = false;
        for (int b = 0; b < batch; b++) {
            boolean[] pastMask = cache == null ? new boolean[0] : cache.keyMask()[b];
            for (int s = 0; s < keysLen; s++) {
                boolean real = s < past ? pastMask[s] : mask[b][s - past];
                if (!real) {
                    keyBias[b * keysLen + s] = MASKED;
                    padded = true;
                }
            }
        }
        NDArray causal = causalBias(seq, past, keysLen);
        NDArray keys = padded ? m.create(keyBias, new Shape(batch, 1, 1, 1, keysLen)) : null;
        if (keys == null) {
            return causal;
        }
        return causal == null ? keys : keys.add(causal);
    }

    private NDArray causalBias(int seq, int past, int keysLen) {
        Integer window = config.slidingWindow();
        if (seq == 1 && (window == null || keysLen <= window)) {
            return null; // one new query sees every cached key
        }
        long key = ((long) seq << 32) | past;
        NDArray cached = causalBiases.get(key);
        if (cached != null) {
            return cached;
        }
        float[] bias = new float[seq * keysLen];
        for (int t = 0; t < seq; t++) {
            int query = past + t;
            for (int s = 0; s < keysLen; s++) {
                boolean visible = s <= query && (window == null || query - s < window);
                bias[t * keysLen + s] = visible ? 0f : MASKED;
            }
        }
        NDArray made = params.manager().create(bias, new Shape(seq, keysLen));
        NDScope.unregister(made); // owned by the model, not by this call's scope
        // bounded: prompts of many lengths (or huge contexts) must not grow memory without limit
        if (causalBiases.size() < 64 && (long) seq * keysLen <= (1 << 20)) {
            causalBiases.put(key, made);
        } else {
            NDScope.register(made); // one-off: let the call's scope release it
        }
        return made;
    }

    @Override
    public void close() {
        params.close();
    }
}
