package dev.divergence.evaluation.api.metrics;

import dev.divergence.evaluation.metrics.LogitsInput;
import dev.divergence.evaluation.metrics.RowMatrix;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The REST binary format (docs/evaluation.md): an {@code application/octet-stream} body holding
 * the request's matrices back to back, each row-major [rows, cols], little-endian IEEE 754
 * float32 or float64 as the {@code dtype} query parameter says, with the shape of one matrix in
 * the {@code shape} query parameter ({@code rows,cols}); numpy's {@code a.astype('<f4').tobytes()}.
 */
final class BinaryPayload {

  private final byte[] body;
  private final int rows;
  private final int cols;
  private final boolean float32;
  private final String[] fields;

  private BinaryPayload(byte[] body, int rows, int cols, boolean float32, String[] fields) {
    this.body = body;
    this.rows = rows;
    this.cols = cols;
    this.float32 = float32;
    this.fields = fields;
  }

  static BinaryPayload parse(byte[] body, String shape, String dtype, String... fields) {
    if (shape == null || shape.isBlank()) {
      throw new InvalidArgumentException("shape", "is required for a binary body (rows,cols)");
    }
    String[] parts = shape.split(",", -1);
    if (parts.length != 2) {
      throw new InvalidArgumentException("shape", "must be 'rows,cols' but is '" + shape + "'");
    }
    int rows;
    int cols;
    try {
      rows = Integer.parseInt(parts[0].trim());
      cols = Integer.parseInt(parts[1].trim());
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException("shape", "must be two positive integers 'rows,cols' but is '" + shape + "'");
    }
    if (rows < 1 || cols < 1) {
      throw new InvalidArgumentException("shape", "must be two positive integers 'rows,cols' but is '" + shape + "'");
    }
    boolean float32 = switch (dtype == null ? "" : dtype) {
      case "float32" -> true;
      case "float64" -> false;
      default -> throw new InvalidArgumentException("dtype", "must be 'float32' or 'float64' but is '" + dtype + "'");
    };
    long expected = (long) fields.length * rows * cols * (float32 ? 4 : 8);
    if (expected > Integer.MAX_VALUE) {
      throw new InvalidArgumentException("shape", "describes more than 2 GiB of data");
    }
    int length = body == null ? 0 : body.length;
    if (length != expected) {
      throw new InvalidArgumentException("body", "has " + length + " bytes but " + String.join(" and ", fields)
          + " of shape [" + rows + ", " + cols + "] in " + dtype + " take " + expected + " bytes");
    }
    return new BinaryPayload(body, rows, cols, float32, fields);
  }

  private ByteBuffer slice(int index) {
    int bytes = rows * cols * (float32 ? 4 : 8);
    return ByteBuffer.wrap(body, index * bytes, bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Matrix {@code index} widened to float64 (exact for float32). */
  RowMatrix matrix(int index) {
    double[] values = new double[rows * cols];
    if (float32) {
      float[] f = floats(index);
      for (int i = 0; i < values.length; i++) {
        values[i] = f[i];
      }
    } else {
      slice(index).asDoubleBuffer().get(values);
    }
    return new RowMatrix(fields[index], values, rows, cols);
  }

  /** Matrix {@code index} as logits, float32 kept as float32. */
  LogitsInput logits(int index) {
    if (float32) {
      return new LogitsInput(fields[index], floats(index), null, rows, cols);
    }
    double[] values = new double[rows * cols];
    slice(index).asDoubleBuffer().get(values);
    return new LogitsInput(fields[index], null, values, rows, cols);
  }

  private float[] floats(int index) {
    float[] values = new float[rows * cols];
    slice(index).asFloatBuffer().get(values);
    return values;
  }

  int rows() {
    return rows;
  }
}
