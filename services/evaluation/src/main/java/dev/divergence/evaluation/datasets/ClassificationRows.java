package dev.divergence.evaluation.datasets;

/**
 * Rows of a classification dataset: {@code features[i]} (all of one length), {@code labels[i]}, the
 * split {@code splits[i]} ("train" or "test") and {@code indices[i]}, the row's index in the dataset.
 * Features are the float32 values the trainers trained on.
 */
public record ClassificationRows(String dataset, float[][] features, int[] labels, String[] splits, long[] indices) {

  public int size() {
    return labels.length;
  }

  /** Features per row (0 when there are no rows). */
  public int dim() {
    return features.length == 0 ? 0 : features[0].length;
  }

  /** One more than the largest label: the number of classes the rows show. */
  public int classes() {
    int max = -1;
    for (int label : labels) {
      max = Math.max(max, label);
    }
    return max + 1;
  }
}
