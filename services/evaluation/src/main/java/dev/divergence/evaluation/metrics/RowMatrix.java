package dev.divergence.evaluation.metrics;

import dev.divergence.platform.errors.InvalidArgumentException;

/**
 * A row-major [rows, cols] float64 matrix as it arrived (JSON arrays, packed protobuf, or a binary
 * body widened from float32 exactly). {@code field} is the request field it came from, so every
 * check can name it with the offending [row][col].
 */
public record RowMatrix(String field, double[] values, int rows, int cols) {

  public RowMatrix {
    if (rows <= 0) {
      throw new InvalidArgumentException(field, "must have at least one row");
    }
    if (cols <= 0) {
      throw new InvalidArgumentException(field, "must have at least one column");
    }
    if ((long) rows * cols != values.length) {
      throw new InvalidArgumentException(field,
          "has " + values.length + " values but rows * cols = " + rows + " * " + cols + " = " + (long) rows * cols);
    }
  }

  /** From JSON's nested arrays; ragged rows are rejected naming the row. */
  public static RowMatrix of(String field, double[][] rows) {
    if (rows == null) {
      throw new InvalidArgumentException(field, "is required");
    }
    if (rows.length == 0) {
      throw new InvalidArgumentException(field, "must have at least one row");
    }
    int cols = -1;
    for (int r = 0; r < rows.length; r++) {
      if (rows[r] == null) {
        throw new InvalidArgumentException(field + "[" + r + "]", "must be an array");
      }
      if (cols < 0) {
        cols = rows[r].length;
      } else if (rows[r].length != cols) {
        throw new InvalidArgumentException(field + "[" + r + "]",
            "has " + rows[r].length + " values but row 0 has " + cols + " (rows must have equal lengths)");
      }
    }
    double[] flat = new double[rows.length * cols];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * cols, cols);
    }
    return new RowMatrix(field, flat, rows.length, cols);
  }

  public double get(int row, int col) {
    return values[row * cols + col];
  }

  public double[] row(int row) {
    double[] out = new double[cols];
    System.arraycopy(values, row * cols, out, 0, cols);
    return out;
  }

  public double[][] toRows() {
    double[][] out = new double[rows][];
    for (int r = 0; r < rows; r++) {
      out[r] = row(r);
    }
    return out;
  }

  /** The field name of one element: {@code p[2][5]}. */
  public String at(long flatIndex) {
    return field + "[" + flatIndex / cols + "][" + flatIndex % cols + "]";
  }

  /** Rejects NaN and infinities, naming the first. */
  public RowMatrix requireFinite() {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new InvalidArgumentException(at(i), "must be finite but is " + values[i]);
      }
    }
    return this;
  }

  public void requireSameShape(RowMatrix other) {
    if (other.rows != rows || other.cols != cols) {
      throw new InvalidArgumentException(other.field, "has shape [" + other.rows + ", " + other.cols + "] but "
          + field + " has [" + rows + ", " + cols + "] (shapes must match)");
    }
  }
}
