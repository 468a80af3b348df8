package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the caches of several independent sequences as one batch: {@link #gather} stacks them
 * into one cache (shorter ones left-padded, the padding masked, each row keeping its own rotary
 * position), so that one {@code forward(ids [B, 1], mask, cache)} steps them all, and
 * {@link #scatter} hands each sequence its rows back, padding trimmed.
 *
 * <p>Stacking costs a copy of every cache, so the batch stays resident between steps: while the
 * next step asks for the same caches in the same order, {@link #gather} returns the stacked cache
 * as it is, and the members' own arrays are not materialised until something else needs them.
 * A member cache is therefore unusable alone while resident; call {@link #release} (or
 * {@link #scatter}) first. Not thread-safe: callers serialise their forwards anyway.
 */
public final class KvCacheBatch implements AutoCloseable {

    private final NDManager manager;
    private KvCache stacked;
    private List<KvCache> members = List.of();
    /** Stacked index where each member's own positions begin (its left padding before it). */
    private int[] offsets = new int[0];
    /** First stacked row of each member. */
    private int[] firstRows = new int[0];

    public KvCacheBatch(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /**
     * One cache whose rows continue {@code caches}, in order (a cache of batch b takes b rows).
     * The returned cache belongs to this batch; do not close it.
     */
    public KvCache gather(List<KvCache> caches) {
        if (stacked != null && sameMembers(caches)) {
            return stacked;
        }
        scatter();
        if (caches.isEmpty()) {
            throw new IllegalArgumentException("nothing to gather");
        }
        Map<KvCache, Boolean> seen = new IdentityHashMap<>();
        for (KvCache cache : caches) {
            if (cache.isClosed() || cache.residentIn() != null || seen.put(cache, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("a gathered cache must be open, not resident elsewhere, and listed once");
            }
        }
        stacked = stack(caches);
        members = List.copyOf(caches);
        for (KvCache cache : caches) {
            cache.moveInto(this);
        }
        return stacked;
    }

    /** Hands every resident member its rows back (closed members are skipped) and empties the batch. */
    public void scatter() {
        if (stacked == null) {
            return;
        }
        int layers = stacked.layers();
        int length = stacked.length();
        boolean[][] mask = stacked.keyMask();
        for (int i = 0; i < members.size(); i++) {
            KvCache member = members.get(i);
            if (member.isClosed()) {
                continue;
            }
            int rows = member.batch();
            int from = firstRows[i];
            int offset = offsets[i];
            NDArray[] keys = new NDArray[layers];
            NDArray[] values = new NDArray[layers];
            if (length > offset) {
                NDIndex own = new NDIndex("{}:{}, :, {}:, :", from, from + rows, offset);
                for (int layer = 0; layer < layers; layer++) {
                    keys[layer] = stacked.keys(layer).get(own);
                    values[layer] = stacked.values(layer).get(own);
                }
            }
            boolean[][] memberMask = new boolean[rows][];
            long[] positions = new long[rows];
            for (int r = 0; r < rows; r++) {
                memberMask[r] = Arrays.copyOfRange(mask[from + r], offset, length);
                positions[r] = stacked.nextPosition(from + r);
            }
            member.moveOut(keys, values, memberMask, positions, length - offset);
        }
        // the members' slices keep the storage they view alive; the stacked handles can go
        stacked.close();
        stacked = null;
        members = List.of();
    }

    /** Makes {@code cache} usable alone again if it is resident here. */
    public void release(KvCache cache) {
        if (cache.residentIn() == this) {
            scatter();
        }
    }

    /** The caches currently stacked, in row order. */
    public List<KvCache> members() {
        return members;
    }

    private boolean sameMembers(List<KvCache> caches) {
        if (caches.size() != members.size()) {
            return false;
        }
        for (int i = 0; i < caches.size(); i++) {
            if (caches.get(i) != members.get(i) || caches.get(i).isClosed()) {
                return false;
            }
        }
        return true;
    }

    private KvCache stack(List<KvCache> caches) {
        int layers = caches.get(0).layers();
        int length = 0;
        int batch = 0;
        for (KvCache cache : caches) {
            if (cache.layers() != layers) {
                throw new IllegalArgumentException("caches of models with different layer counts cannot be batched");
            }
            length = Math.max(length, cache.length());
            batch += cache.batch();
        }
        offsets = new int[caches.size()];
        firstRows = new int[caches.size()];
        boolean[][] mask = new boolean[batch][];
        long[] positions = new long[batch];
        int row = 0;
        for (int i = 0; i < caches.size(); i++) {
            KvCache cache = caches.get(i);
            offsets[i] = length - cache.length();
            firstRows[i] = row;
            for (int r = 0; r < cache.batch(); r++, row++) {
                mask[row] = new boolean[length];
                System.arraycopy(cache.keyMask()[r], 0, mask[row], offsets[i], cache.length());
                positions[row] = cache.nextPosition(r);
            }
        }
        NDArray[] keys = new NDArray[layers];
        NDArray[] values = new NDArray[layers];
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < layers; layer++) {
                keys[layer] = stackLayer(scratch, caches, layer, length, true);
                values[layer] = stackLayer(scratch, caches, layer, length, false);
            }
            // attached to the stacked cache before the scratch (pads, views) is released
            return new KvCache(manager, keys, values, batch, mask, positions, length);
        }
    }

    private NDArray stackLayer(NDManager scratch, List<KvCache> caches, int layer, int length, boolean keys) {
        if (length == 0) {
            return null;
        }
        NDArray reference = null;
        for (KvCache cache : caches) {
            reference = reference != null ? reference : (keys ? cache.keys(layer) : cache.values(layer));
        }
        Shape shape = reference.getShape();
        NDList rows = new NDList(caches.size());
        for (KvCache cache : caches) {
            NDArray own = keys ? cache.keys(layer) : cache.values(layer);
            int pad = length - cache.length();
            if (pad == 0) {
                rows.add(own);
                continue;
            }
            NDArray zeros = scratch.zeros(new Shape(cache.batch(), shape.get(1), pad, shape.get(3)), reference.getDataType());
            rows.add(own == null ? zeros : zeros.concat(own, 2));
        }
        NDArray joined = rows.size() == 1 ? rows.get(0).duplicate() : NDArrays.concat(rows, 0);
        joined.attach(scratch); // the stacked cache takes it over from here
        return joined;
    }

    @Override
    public void close() {
        scatter();
        manager.close();
    }
}
