package dev.divergence.modelserver.backend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.lm.KvCache;
import dev.divergence.model.lm.KvCacheBatch;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.modelserver.InferenceException;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A libs/model language model behind the protocol: input {@code input_ids} [batch, seq] (INT64
 * or INT32) and optional {@code attention_mask} [batch, seq] (BOOL, INT64 or INT32; 0 marks
 * padding, left or right) to output {@code logits} [batch, vocab], the next-token logits after
 * each row's last real token, and, when the config declares it and the request asks for it,
 * {@code all_logits} [batch, seq, vocab]: the raw (not normalised) next-token logits after every
 * position of the same forward, so one request scores a whole text. Row b, position t of
 * {@code all_logits} is what {@code logits} answers for the row cut after its token t; at padded
 * positions it is finite but meaningless. It is computed only when requested: a request that
 * names only {@code logits} copies one vocabulary row per batch row, as before.
 */
public final class LanguageModelBackend implements StatefulBackend {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String LOGITS = "logits";
    static final String ALL_LOGITS = "all_logits";

    private final NDManager manager;
    private final LlamaModel model;
    private final TensorType logitsType;
    /** null when the config does not declare {@code all_logits}. */
    private final TensorType allLogitsType;
    /** The caches of the sequences last stepped together, kept stacked while they keep stepping together. */
    private final KvCacheBatch stepping;
    /**
     * Serialises executions (libtorch work on one model) and cache frees. A lock that parks
     * waiters: many concurrent sequences spinning on a monitor would burn the cores the running
     * forward needs.
     */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    LanguageModelBackend(NDManager parent, ModelConfig config, Path versionDir) {
        this.manager = parent.newSubManager();
        try {
            this.model = LlamaModel.load(manager, versionDir);
            ConfigChecks.requireOnly(config, List.of(INPUT_IDS, ATTENTION_MASK), List.of(LOGITS, ALL_LOGITS));
            ConfigChecks.requireInput(config, INPUT_IDS, List.of(TensorType.INT64, TensorType.INT32), new long[] {-1});
            ConfigChecks.optionalInput(config, ATTENTION_MASK, List.of(TensorType.BOOL, TensorType.INT64, TensorType.INT32),
                    new long[] {-1});
            this.logitsType = ConfigChecks.typeOf(ConfigChecks.requireOutput(config, LOGITS,
                    List.of(TensorType.FP32, TensorType.FP16, TensorType.BF16), new long[] {model.config().vocabSize()}).getDataType());
            this.allLogitsType = ConfigChecks.optionalOutput(config, ALL_LOGITS, List.of(TensorType.FP32, TensorType.FP16, TensorType.BF16),
                    new long[] {-1, model.config().vocabSize()}).map(o -> ConfigChecks.typeOf(o.getDataType())).orElse(null);
            this.stepping = new KvCacheBatch(manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public Map<String, Tensor> execute(Map<String, Tensor> inputs, Set<String> outputs) {
        lock.lock();
        try {
            return run(inputs, outputs, null);
        } finally {
            lock.unlock();
        }
    }

    /** A KV cache for one sequence: each request sends only its new tokens. */
    @Override
    public SequenceState openSequence() {
        KvCache cache;
        lock.lock();
        try {
            cache = new KvCache(manager, model.config().numLayers(), 1);
        } finally {
            lock.unlock();
        }
        return new CachedSequence(cache);
    }

    @Override
    public Map<String, Tensor> execute(SequenceState state, Map<String, Tensor> inputs, Set<String> outputs) {
        lock.lock();
        try {
            return executeInSequence(state, inputs, outputs);
        } finally {
            lock.unlock();
        }
    }

    private Map<String, Tensor> executeInSequence(SequenceState state, Map<String, Tensor> inputs, Set<String> outputs) {
        if (inputs.get(INPUT_IDS).shape()[0] != 1) {
            throw InferenceException.invalidArgument("a request in a sequence carries one row of input_ids, got batch "
                    + inputs.get(INPUT_IDS).shape()[0]);
        }
        KvCache cache = ((CachedSequence) state).cache();
        stepping.release(cache);
        return run(inputs, outputs, cache);
    }

    /**
     * One new token, unmasked: a decode step that can share a forward with other sequences'. Not
     * with a sliding window: the model counts the window over cache positions, which the padding
     * of a stacked batch would shift.
     */
    @Override
    public boolean joinable(Map<String, Tensor> inputs) {
        if (model.config().slidingWindow() != null) {
            return false;
        }
        Tensor ids = inputs.get(INPUT_IDS);
        if (ids == null || ids.shape().length != 2 || ids.shape()[0] != 1 || ids.shape()[1] != 1) {
            return false;
        }
        Tensor mask = inputs.get(ATTENTION_MASK);
        return mask == null || mask(mask, 1)[0] != 0;
    }

    /**
     * The sequences' caches stacked into one batch (see {@link KvCacheBatch}) and one forward of
     * [B, 1] new tokens; each row's logits are what the sequence would get alone.
     */
    @Override
    public List<Map<String, Tensor>> executeSteps(List<SequenceState> states, List<Map<String, Tensor>> inputs, Set<String> outputs) {
        lock.lock();
        try {
            return executeStepsLocked(states, inputs, outputs);
        } finally {
            lock.unlock();
        }
    }

    private List<Map<String, Tensor>> executeStepsLocked(List<SequenceState> states, List<Map<String, Tensor>> inputs, Set<String> outputs) {
        int vocab = model.config().vocabSize();
        List<Integer> live = new ArrayList<>(states.size());
        List<KvCache> caches = new ArrayList<>(states.size());
        for (int i = 0; i < states.size(); i++) {
            CachedSequence sequence = (CachedSequence) states.get(i);
            if (!sequence.closed) {
                live.add(i);
                caches.add(sequence.cache());
            }
        }
        List<Map<String, Tensor>> results = new ArrayList<>(java.util.Collections.nCopies(states.size(), (Map<String, Tensor>) null));
        if (live.isEmpty()) {
            return results;
        }
        long[] tokens = new long[live.size()];
        for (int row = 0; row < tokens.length; row++) {
            tokens[row] = inputs.get(live.get(row)).get(INPUT_IDS).toLongs()[0];
            if (tokens[row] < 0 || tokens[row] >= vocab) {
                // validated before anything is stacked: a forward never fails halfway through the batch's caches
                throw InferenceException.invalidArgument("input_ids holds token " + tokens[row] + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        KvCacheBatch.Step step = stepping.step(caches);
        int rows = step.cache().batch();
        long[] ids = new long[rows];
        long[] mask = new long[rows];
        for (int i = 0; i < tokens.length; i++) {
            ids[step.rows()[i]] = tokens[i];
            mask[step.rows()[i]] = 1;
        }
        float[] logits;
        try (NDManager request = manager.newSubManager()) {
            // resident sequences that do not step now take a masked position: their state is unchanged in effect
            NDArray attention = tokens.length == rows ? null : request.create(mask, new Shape(rows, 1));
            logits = model.forward(request.create(ids, new Shape(rows, 1)), attention, step.cache()).toFloatArray();
        }
        for (int row = 0; row < tokens.length; row++) {
            int at = step.rows()[row];
            float[] next = java.util.Arrays.copyOfRange(logits, at * vocab, (at + 1) * vocab);
            Map<String, Tensor> result = new java.util.LinkedHashMap<>();
            if (outputs.contains(LOGITS)) {
                result.put(LOGITS, Tensor.floats(logitsType, new long[] {1, vocab}, next));
            }
            if (outputs.contains(ALL_LOGITS)) {
                // one new token: its only position's logits are the next-token logits
                result.put(ALL_LOGITS, Tensor.floats(allLogitsType, new long[] {1, 1, vocab}, next));
            }
            results.set(live.get(row), result);
        }
        return results;
    }

    /** Closes under the backend's lock so that eviction never frees a cache mid-execution. */
    private final class CachedSequence implements SequenceState {
        private final KvCache cache;
        private boolean closed;

        CachedSequence(KvCache cache) {
            this.cache = cache;
        }

        KvCache cache() {
            return cache;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                closed = true;
                cache.close();
                stepping.dropIfUnused(); // the last generation of a batch ended: free the stacked copy now
            } finally {
                lock.unlock();
            }
        }
    }

    private Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs, KvCache cache) {
        Tensor ids = inputs.get(INPUT_IDS);
        long[] shape = ids.shape();
        int batch = Math.toIntExact(shape[0]);
        int seq = Math.toIntExact(shape[1]);
        long[] tokens = ids.toLongs();
        int vocab = model.config().vocabSize();
        for (long token : tokens) {
            if (token < 0 || token >= vocab) {
                throw InferenceException.invalidArgument("input_ids holds token " + token + " outside the vocabulary [0, " + vocab + ")");
            }
        }
        long[] mask = mask(inputs.get(ATTENTION_MASK), batch * seq);
        if (inputs.containsKey(ATTENTION_MASK) && !java.util.Arrays.equals(inputs.get(ATTENTION_MASK).shape(), shape)) {
            throw InferenceException.invalidArgument("attention_mask shape " + java.util.Arrays.toString(inputs.get(ATTENTION_MASK).shape())
                    + " differs from input_ids shape " + java.util.Arrays.toString(shape));
        }
        int[] last = new int[batch];
        for (int row = 0; row < batch; row++) {
            last[row] = lastRealPosition(mask, row, seq);
        }
        Map<String, Tensor> result = new java.util.LinkedHashMap<>();
        try (NDManager request = manager.newSubManager()) {
            NDArray logits = model.forward(request.create(tokens, new Shape(batch, seq)), request.create(mask, new Shape(batch, seq)), cache);
            if (outputs.contains(LOGITS)) {
                float[] next = new float[batch * vocab];
                for (int row = 0; row < batch; row++) {
                    float[] rowLogits = logits.get(row, last[row]).toFloatArray();
                    System.arraycopy(rowLogits, 0, next, row * vocab, vocab);
                }
                result.put(LOGITS, Tensor.floats(logitsType, new long[] {batch, vocab}, next));
            }
            if (outputs.contains(ALL_LOGITS)) {
                // the forward's own [batch, seq, vocab] logits: the next-token logits after every position
                result.put(ALL_LOGITS, Tensor.floats(allLogitsType, new long[] {batch, seq, vocab}, logits.toFloatArray()));
            }
        }
        return result;
    }

    private static long[] mask(Tensor attentionMask, int size) {
        long[] mask = new long[size];
        if (attentionMask == null) {
            java.util.Arrays.fill(mask, 1);
        } else if (attentionMask.type() == TensorType.BOOL) {
            boolean[] values = attentionMask.toBooleans();
            for (int i = 0; i < size && i < values.length; i++) {
                mask[i] = values[i] ? 1 : 0;
            }
        } else {
            long[] values = attentionMask.toLongs();
            System.arraycopy(values, 0, mask, 0, Math.min(size, values.length));
        }
        return mask;
    }

    private static int lastRealPosition(long[] mask, int row, int seq) {
        for (int t = seq - 1; t >= 0; t--) {
            if (mask[row * seq + t] != 0) {
                return t;
            }
        }
        throw InferenceException.invalidArgument("attention_mask row " + row + " masks every token");
    }

    @Override
    public void close() {
        lock.lock();
        try {
            stepping.close();
            manager.close();
        } finally {
            lock.unlock();
        }
    }
}
