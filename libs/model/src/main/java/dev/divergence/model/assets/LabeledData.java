package dev.divergence.model.assets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.training.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

/** A small in-memory classification data set: features [n][dim] and integer labels. */
public record LabeledData(float[][] features, int[] labels, List<String> classNames) {

    public int size() {
        return labels.length;
    }

    public int dim() {
        return features.length == 0 ? 0 : features[0].length;
    }

    /** A deterministic shuffle split: the first {@code fraction} for training, the rest for testing. */
    public LabeledData[] split(double fraction, long seed) {
        int[][] rows = splitRows(size(), fraction, seed);
        return new LabeledData[] {select(rows[0]), select(rows[1])};
    }

    /**
     * The row indices of {@link #split}'s parts for a data set of {@code size} rows: {training rows, test rows},
     * each in the shuffled order {@code split} returns them in. Depends on the size only, never on the values.
     */
    public static int[][] splitRows(int size, double fraction, long seed) {
        int[] order = Seeds.permutation(size, new SplittableRandom(seed));
        int cut = (int) Math.round(size * fraction);
        return new int[][] {Arrays.copyOfRange(order, 0, cut), Arrays.copyOfRange(order, cut, size)};
    }

    /** The rows {@code rows} in that order; the row arrays are shared, not copied. */
    public LabeledData select(int[] rows) {
        return select(rows, 0, rows.length);
    }

    public LabeledData onlyClasses(IntPredicate keep) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (keep.test(labels[i])) {
                rows.add(i);
            }
        }
        return select(rows.stream().mapToInt(Integer::intValue).toArray(), 0, rows.size());
    }

    private LabeledData select(int[] rows, int from, int to) {
        float[][] f = new float[to - from][];
        int[] l = new int[to - from];
        for (int i = from; i < to; i++) {
            f[i - from] = features[rows[i]];
            l[i - from] = labels[rows[i]];
        }
        return new LabeledData(f, l, classNames);
    }

    /** Rows {@code rows} as features [B, dim] and labels [B, 1] (int64). */
    public NDArray[] batch(NDManager manager, int[] rows) {
        float[] flat = new float[rows.length * dim()];
        long[] y = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(features[rows[i]], 0, flat, i * dim(), dim());
            y[i] = labels[rows[i]];
        }
        return new NDArray[] {manager.create(flat, new Shape(rows.length, dim())), manager.create(y, new Shape(rows.length, 1))};
    }
}
