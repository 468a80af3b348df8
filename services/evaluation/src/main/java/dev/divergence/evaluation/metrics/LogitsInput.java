package dev.divergence.evaluation.metrics;

/** Logits as received: float32 kept as float32 (the library's fast kernel), or float64. */
public record LogitsInput(String field, float[] floats, double[] doubles, int rows, int cols) {

  public static LogitsInput of(RowMatrix matrix) {
    return new LogitsInput(matrix.field(), null, matrix.values(), matrix.rows(), matrix.cols());
  }

  public boolean isFloat() {
    return floats != null;
  }

  public double get(long index) {
    return floats != null ? floats[(int) index] : doubles[(int) index];
  }

  public long size() {
    return (long) rows * cols;
  }

  public String at(long flatIndex) {
    return field + "[" + flatIndex / cols + "][" + flatIndex % cols + "]";
  }
}
