package dev.divergence.model.generation;

/**
 * The tokens of one decoding step in descending order of a value (score or probability), ranked
 * only as far as a caller reads: each time a rank beyond the ranked prefix is asked for, a
 * quickselect moves the next block of best tokens to the front of the unranked rest and only that
 * block is sorted; blocks double, so top-k costs O(V + k log k) expected and top-p stops sorting
 * at the nucleus instead of sorting the whole vocabulary (as boxed {@code Integer[]} sorts did).
 *
 * <p>Equal values are ordered by the lower token id, so the order is total and the result does
 * not depend on the selection's pivots. Values must not be NaN.
 */
public final class TokenRanking {

    /** Ranks sorted by the first extension; later extensions double the ranked prefix. */
    private static final int FIRST_BLOCK = 32;
    /** Below this many tokens a range is sorted by insertion. */
    private static final int INSERTION_SORT_MAX = 16;

    private final double[] values;
    private final int[] order;
    private int ranked;

    /** Ranks {@code values} (not copied: they must not change while the ranking is used). */
    public TokenRanking(double[] values) {
        this.values = values;
        this.order = new int[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
    }

    /** Ranks float32 scores (widened to float64, which keeps their order exactly). */
    public static TokenRanking ofScores(float[] scores) {
        double[] values = new double[scores.length];
        for (int i = 0; i < scores.length; i++) {
            values[i] = scores[i];
        }
        return new TokenRanking(values);
    }

    public int size() {
        return order.length;
    }

    /** The token at {@code rank} (0 = the largest value). */
    public int token(int rank) {
        if (rank >= ranked) {
            rankUpTo(rank + 1);
        }
        return order[rank];
    }

    /** The value of the token at {@code rank}. */
    public double value(int rank) {
        return values[token(rank)];
    }

    /** How many leading ranks are final so far (what the lazy ranking has sorted). */
    public int rankedCount() {
        return ranked;
    }

    /** Makes the first {@code count} ranks final. */
    public void rankUpTo(int count) {
        if (count <= ranked) {
            return;
        }
        int end = Math.min(order.length, Math.max(count, Math.max(2 * ranked, ranked + FIRST_BLOCK)));
        if (end < order.length) {
            selectBest(ranked, order.length - 1, end - 1);
        }
        sort(ranked, end - 1);
        ranked = end;
    }

    /** Whether token a ranks before token b: larger value first, then lower id. */
    private boolean before(int a, int b) {
        double va = values[a];
        double vb = values[b];
        return va > vb || (va == vb && a < b);
    }

    /** Reorders order[lo..hi] so that order[k] is the token of that rank and better ones come before it. */
    private void selectBest(int lo, int hi, int k) {
        while (hi > lo) {
            int pivot = partition(lo, hi);
            if (pivot == k) {
                return;
            }
            if (k < pivot) {
                hi = pivot - 1;
            } else {
                lo = pivot + 1;
            }
        }
    }

    /** Lomuto partition around the median of three; returns the pivot's final position. */
    private int partition(int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        // median of order[lo], order[mid], order[hi] moved to hi
        if (before(order[mid], order[lo])) {
            swap(mid, lo);
        }
        if (before(order[hi], order[lo])) {
            swap(hi, lo);
        }
        if (before(order[mid], order[hi])) {
            swap(mid, hi);
        }
        int pivot = order[hi];
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (before(order[i], pivot)) {
                swap(i, store++);
            }
        }
        swap(store, hi);
        return store;
    }

    /** Quicksort of order[lo..hi] by rank; recursion on the smaller side keeps the stack logarithmic. */
    private void sort(int lo, int hi) {
        while (hi - lo >= INSERTION_SORT_MAX) {
            int pivot = partition(lo, hi);
            if (pivot - lo < hi - pivot) {
                sort(lo, pivot - 1);
                lo = pivot + 1;
            } else {
                sort(pivot + 1, hi);
                hi = pivot - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            int token = order[i];
            int j = i - 1;
            while (j >= lo && before(token, order[j])) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = token;
        }
    }

    private void swap(int i, int j) {
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}
