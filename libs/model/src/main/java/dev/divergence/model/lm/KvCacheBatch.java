package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the caches of several independent sequences as one batch: the caches are stacked into
 * one cache (shorter ones left-padded, the padding masked, each row keeping its own rotary
 * position), so that one {@code forward(ids [B, 1], mask, cache)} steps them all, and
 * {@link #scatter} hands each sequence its rows back, leading padding trimmed.
 *
 * <p>Stacking costs a copy of every cache, so the batch stays resident between steps and adapts
 * to the caches each step asks for ({@link #step}): caches already resident are stepped in place;
 * resident caches that do not step this time take a masked padding position (their keys and
 * positions unchanged in effect); caches not yet resident are appended as new rows. The batch is
 * rebuilt from the requested caches only when it has become wasteful: most rows idle or closed,
 * or the padding has doubled its length. A member cache is unusable alone while resident; call
 * {@link #release} (or {@link #scatter}) first. Not thread-safe: callers serialise their forwards.
 */
public final class KvCacheBatch implements AutoCloseable {

    /** Where each requested cache continues in {@link #cache()}: rows not listed must step with mask 0. */
    public record Step(KvCache cache, int[] rows) {
    }

    private final NDManager manager;
    private KvCache stacked;
    private final List<KvCache> members = new ArrayList<>();
    /** Stacked index where each member's own positions begin (its left padding before it). */
    private final List<Integer> offsets = new ArrayList<>();
    /** First stacked row of each member. */
    private final List<Integer> firstRows = new ArrayList<>();
    /** Stacked length right after the last rebuild: idle padding beyond twice that triggers one. */
    private int builtLength;

    public KvCacheBatch(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /**
     * One cache whose rows are exactly {@code caches}, in order (a cache of batch b takes b rows).
     * The returned cache belongs to this batch; do not close it.
     */
    public KvCache gather(List<KvCache> caches) {
        if (stacked == null || !members.equals(caches) || members.stream().anyMatch(KvCache::isClosed)) {
            rebuild(caches);
        }
        return stacked;
    }

    /**
     * The stacked cache to step {@code caches} in, resident ones where they are and new ones
     * appended; see the class comment. The cache belongs to this batch; do not close it.
     */
    public Step step(List<KvCache> caches) {
        requireDistinctOpen(caches, true);
        if (stacked == null) {
            rebuild(caches);
            return rowsOf(caches);
        }
        Map<KvCache, Integer> resident = residentIndex();
        List<KvCache> joining = caches.stream().filter(c -> !resident.containsKey(c)).toList();
        int liveRows = 0;
        int requestedRows = 0;
        for (KvCache member : members) {
            liveRows += member.isClosed() ? 0 : member.batch();
        }
        for (KvCache cache : caches) {
            requestedRows += cache.batch();
        }
        boolean wasteful = stacked.batch() > 2 * (liveRows + rowCount(joining)) || stacked.batch() > 4 * requestedRows
                || stacked.length() > 2 * builtLength + 16;
        if (wasteful) {
            rebuild(caches);
        } else if (!joining.isEmpty()) {
            append(joining);
        }
        return rowsOf(caches);
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
            int from = firstRows.get(i);
            int offset = offsets.get(i);
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
        members.clear();
        offsets.clear();
        firstRows.clear();
    }

    /** Makes {@code cache} usable alone again if it is resident here. */
    public void release(KvCache cache) {
        if (cache.residentIn() == this) {
            scatter();
        }
    }

    /** Frees the stacked cache once every member is closed (nothing would step in it again). */
    public void dropIfUnused() {
        if (stacked != null && members.stream().allMatch(KvCache::isClosed)) {
            scatter();
        }
    }

    /** The caches currently stacked, in row order (closed ones included until the next rebuild). */
    public List<KvCache> members() {
        return List.copyOf(members);
    }

    private void rebuild(List<KvCache> caches) {
        scatter();
        requireDistinctOpen(caches, false);
        int length = 0;
        for (KvCache cache : caches) {
            length = Math.max(length, cache.length());
        }
        stacked = stack(caches, length, 0);
        builtLength = length;
        for (KvCache cache : caches) {
            cache.moveInto(this);
        }
    }

    /** New rows at the bottom, left-padded to the batch's current length. */
    private void append(List<KvCache> joining) {
        int length = stacked.length();
        int grownLength = length;
        for (KvCache cache : joining) {
            grownLength = Math.max(grownLength, cache.length());
        }
        if (grownLength > length) {
            rebuild(concat(members.stream().filter(m -> !m.isClosed()).toList(), joining));
            return;
        }
        KvCache old = stacked;
        int firstNewRow = old.batch();
        KvCache added = stack(joining, length, firstNewRow);
        int layers = old.layers();
        NDArray[] keys = new NDArray[layers];
        NDArray[] values = new NDArray[layers];
        for (int layer = 0; layer < layers; layer++) {
            if (old.keys(layer) != null) {
                keys[layer] = old.keys(layer).concat(added.keys(layer), 0);
                values[layer] = old.values(layer).concat(added.values(layer), 0);
            }
        }
        int batch = old.batch() + added.batch();
        boolean[][] mask = new boolean[batch][];
        long[] positions = new long[batch];
        for (int row = 0; row < batch; row++) {
            KvCache from = row < firstNewRow ? old : added;
            int r = row < firstNewRow ? row : row - firstNewRow;
            mask[row] = from.keyMask()[r];
            positions[row] = from.nextPosition(r);
        }
        stacked = new KvCache(manager, keys, values, batch, mask, positions, length);
        old.close();
        added.close();
        for (KvCache cache : joining) {
            cache.moveInto(this);
        }
    }

    /** Stacks {@code caches} left-padded to {@code length}, recording them as members from row {@code firstRow}. */
    private KvCache stack(List<KvCache> caches, int length, int firstRow) {
        int layers = caches.get(0).layers();
        int batch = 0;
        for (KvCache cache : caches) {
            if (cache.layers() != layers) {
                throw new IllegalArgumentException("caches of models with different layer counts cannot be batched");
            }
            batch += cache.batch();
        }
        boolean[][] mask = new boolean[batch][];
        long[] positions = new long[batch];
        int row = 0;
        for (KvCache cache : caches) {
            int offset = length - cache.length();
            members.add(cache);
            offsets.add(offset);
            firstRows.add(firstRow + row);
            for (int r = 0; r < cache.batch(); r++, row++) {
                mask[row] = new boolean[length];
                System.arraycopy(cache.keyMask()[r], 0, mask[row], offset, cache.length());
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
            // attached to the new cache before the scratch (pads, views) is released
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
        if (reference == null) {
            reference = keys ? stacked.keys(layer) : stacked.values(layer); // appending empty caches to a batch
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
        joined.attach(scratch); // the new cache takes it over from here
        return joined;
    }

    private Step rowsOf(List<KvCache> caches) {
        Map<KvCache, Integer> resident = residentIndex();
        int[] rows = new int[caches.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = firstRows.get(resident.get(caches.get(i)));
        }
        return new Step(stacked, rows);
    }

    private static int rowCount(List<KvCache> caches) {
        return caches.stream().mapToInt(KvCache::batch).sum();
    }

    private Map<KvCache, Integer> residentIndex() {
        Map<KvCache, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < members.size(); i++) {
            index.put(members.get(i), i);
        }
        return index;
    }

    private void requireDistinctOpen(List<KvCache> caches, boolean residentHereAllowed) {
        if (caches.isEmpty()) {
            throw new IllegalArgumentException("nothing to gather");
        }
        Map<KvCache, Boolean> seen = new IdentityHashMap<>();
        for (KvCache cache : caches) {
            boolean elsewhere = cache.residentIn() != null && !(residentHereAllowed && cache.residentIn() == this);
            if (cache.isClosed() || elsewhere || seen.put(cache, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("a gathered cache must be open, not resident elsewhere, and listed once");
            }
        }
    }

    private static List<KvCache> concat(List<KvCache> a, List<KvCache> b) {
        List<KvCache> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Override
    public void close() {
        scatter();
        manager.close();
    }
}
