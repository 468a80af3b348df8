package dev.divergence.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * Keys and values of every layer for the tokens seen so far, per batch row, plus what the
 * next step needs to continue exactly where a full recomputation would be: which cached
 * positions are padding and the next rotary position of each row. Callers hold one cache per
 * sequence (or per batch of sequences decoded together) and close it when done.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batch;
    private boolean[][] keyMask;
    private final long[] nextPosition;
    private int length;
    /** While set, this cache's rows live in that batch and its own arrays are stale (null). */
    private KvCacheBatch residentIn;
    private boolean closed;

    public KvCache(NDManager parent, int layers, int batch) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batch = batch;
        this.keyMask = new boolean[batch][0];
        this.nextPosition = new long[batch];
    }

    /**
     * A cache holding given arrays (already on {@code parent}'s side or about to be attached to it):
     * how {@link KvCacheBatch} builds its stacked cache.
     */
    KvCache(NDManager parent, NDArray[] keys, NDArray[] values, int batch, boolean[][] keyMask, long[] nextPosition, int length) {
        this(parent, keys.length, batch);
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                own(layer, keys[layer], values[layer]);
            }
        }
        this.keyMask = keyMask;
        System.arraycopy(nextPosition, 0, this.nextPosition, 0, batch);
        this.length = length;
    }

    public int batch() {
        return batch;
    }

    /** Number of cached positions (including padding). */
    public int length() {
        return length;
    }

    public long nextPosition(int row) {
        return nextPosition[row];
    }

    public int layers() {
        return keys.length;
    }

    boolean[][] keyMask() {
        requireOwnRows();
        return keyMask;
    }

    NDArray keys(int layer) {
        requireOwnRows();
        return keys[layer];
    }

    NDArray values(int layer) {
        requireOwnRows();
        return values[layer];
    }

    boolean isClosed() {
        return closed;
    }

    KvCacheBatch residentIn() {
        return residentIn;
    }

    /** Hands the rows to a batch: the stacked copy is the only live one until the batch scatters. */
    void moveInto(KvCacheBatch batch) {
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                keys[layer].close();
                values[layer].close();
                keys[layer] = null;
                values[layer] = null;
            }
        }
        residentIn = batch;
    }

    /** Takes the rows back from a batch (arrays are attached here), the state after the batch's steps. */
    void moveOut(NDArray[] newKeys, NDArray[] newValues, boolean[][] newKeyMask, long[] newNextPosition, int newLength) {
        for (int layer = 0; layer < keys.length; layer++) {
            if (newKeys[layer] != null) {
                own(layer, newKeys[layer], newValues[layer]);
            }
        }
        keyMask = newKeyMask;
        System.arraycopy(newNextPosition, 0, nextPosition, 0, batch);
        length = newLength;
        residentIn = null;
    }

    private void own(int layer, NDArray k, NDArray v) {
        ai.djl.ndarray.NDScope.unregister(k, v);
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
    }

    private void requireOwnRows() {
        if (residentIn != null) {
            throw new IllegalStateException("this KV cache's rows are resident in a KvCacheBatch: scatter the batch before using the cache alone");
        }
    }

    /** Appends one layer's new keys/values [B, Hkv, T, D]; the previous arrays are released. */
    NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
        requireOwnRows();
        NDArray k = keys[layer] == null ? newKeys : keys[layer].concat(newKeys, 2);
        NDArray v = values[layer] == null ? newValues : values[layer].concat(newValues, 2);
        // The cache outlives the forward pass's scope: detach from it and own the arrays here
        // (and from autograd, when a cache is used under gradient recording).
        if (k.hasGradient()) {
            k = k.stopGradient();
            v = v.stopGradient();
        }
        ai.djl.ndarray.NDScope.unregister(k, v);
        k.attach(manager);
        v.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
        return new NDArray[] {k, v};
    }

    /** Records the new tokens' padding mask and advances positions (after all layers appended). */
    void advance(boolean[][] newMask, long[] realTokens) {
        int t = newMask[0].length;
        boolean[][] grown = new boolean[batch][];
        for (int b = 0; b < batch; b++) {
            grown[b] = Arrays.copyOf(keyMask[b], length + t);
            System.arraycopy(newMask[b], 0, grown[b], length, t);
            nextPosition[b] += realTokens[b];
        }
        keyMask = grown;
        length += t;
    }

    @Override
    public void close() {
        closed = true;
        manager.close();
    }
}
