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

    public KvCache(NDManager parent, int layers, int batch) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batch = batch;
        this.keyMask = new boolean[batch][0];
        this.nextPosition = new long[batch];
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

    boolean[][] keyMask() {
        return keyMask;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Appends one layer's new keys/values [B, Hkv, T, D]; the previous arrays are released. */
    NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
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
        manager.close();
    }
}
