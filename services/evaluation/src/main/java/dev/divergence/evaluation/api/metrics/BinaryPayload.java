package dev.divergence.evaluation.api.metrics;

import dev.divergence.evaluation.metrics.LogitsInput;
import dev.divergence.evaluation.metrics.RowMatrix;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST binary format (docs/evaluation.md): an {@code application/octet-stream} body holding
 * the request's arrays back to back in the order each endpoint documents, row-major, little-endian
 * IEEE 754 float32 or float64 as the {@code dtype} query parameter says (integer arrays, such as
 * calibration targets, are always little-endian int32), with no header or padding; the
 * {@code shape} query parameter gives the dimensions the arrays are made of (e.g. {@code rows,cols}
 * for p and q, {@code n,m} for Sinkhorn's a [n], b [m] and cost [n, m]); numpy's
 * {@code a.astype('<f4').tobytes()}.
 */
final class BinaryPayload {

  /** One array of the body: {@code dims} of one (a vector) or two (a row-major matrix) sizes. */
  record Part(String field, int[] dims, boolean int32) {

    static Part matrix(String field, int rows, int cols) {
      return new Part(field, new int[] {rows, cols}, false);
    }

    static Part vector(String field, int length) {
      return new Part(field, new int[] {length}, false);
    }

    static Part int32Vector(String field, int length) {
      return new Part(field, new int[] {length}, true);
    }

    long count() {
      long count = 1;
      for (int d : dims) {
        count *= d;
      }
      return count;
    }

    String shape() {
      StringBuilder out = new StringBuilder("[");
      for (int i = 0; i < dims.length; i++) {
        out.append(i == 0 ? "" : ", ").append(dims[i]);
      }
      return out.append(']').toString();
    }
  }

  private final byte[] body;
  private final boolean float32;
  private final List<Part> parts;
  private final int[] offsets;

  private BinaryPayload(byte[] body, boolean float32, List<Part> parts, int[] offsets) {
    this.body = body;
    this.float32 = float32;
    this.parts = parts;
    this.offsets = offsets;
  }

  /** The divergence endpoints' body: the named matrices, each of {@code shape} = rows,cols. */
  static BinaryPayload parse(byte[] body, String shape, String dtype, String... fields) {
    int[] dims = shape(shape, "rows,cols", 2, 2);
    boolean float32 = float32(dtype);
    Part[] parts = new Part[fields.length];
    for (int i = 0; i < fields.length; i++) {
      parts[i] = Part.matrix(fields[i], dims[0], dims[1]);
    }
    return read(body, float32, parts);
  }

  /**
   * The {@code shape} query parameter: between {@code minDims} and {@code maxDims} positive integers,
   * comma separated, as {@code form} describes them (named in the messages).
   */
  static int[] shape(String shape, String form, int minDims, int maxDims) {
    if (shape == null || shape.isBlank()) {
      throw new InvalidArgumentException("shape", "is required for a binary body (" + form + ")");
    }
    String[] parts = shape.split(",", -1);
    if (parts.length < minDims || parts.length > maxDims) {
      throw new InvalidArgumentException("shape", "must be '" + form + "' but is '" + shape + "'");
    }
    int[] dims = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        dims[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        dims[i] = 0;
      }
      if (dims[i] < 1) {
        throw new InvalidArgumentException("shape", "must be positive integers '" + form + "' but is '" + shape + "'");
      }
    }
    return dims;
  }

  /** True for {@code float32}, false for {@code float64}; anything else names the {@code dtype} parameter. */
  static boolean float32(String dtype) {
    return switch (dtype == null ? "" : dtype) {
      case "float32" -> true;
      case "float64" -> false;
      default -> throw new InvalidArgumentException("dtype", "must be 'float32' or 'float64' but is '" + dtype + "'");
    };
  }

  /** Checks that the body holds exactly the given arrays, naming them and their shapes if it does not. */
  static BinaryPayload read(byte[] body, boolean float32, Part... parts) {
    int[] offsets = new int[parts.length];
    long expected = 0;
    for (int i = 0; i < parts.length; i++) {
      if (expected > Integer.MAX_VALUE) {
        break;
      }
      offsets[i] = (int) expected;
      expected += parts[i].count() * (parts[i].int32() || float32 ? 4 : 8);
    }
    if (expected > Integer.MAX_VALUE) {
      throw new InvalidArgumentException("shape", "describes more than 2 GiB of data");
    }
    int length = body == null ? 0 : body.length;
    if (length != expected) {
      throw new InvalidArgumentException("body", "has " + length + " bytes but " + describe(parts, float32)
          + " take " + expected + " bytes");
    }
    return new BinaryPayload(body, float32, List.of(parts), offsets);
  }

  /** "p and q of shape [3, 3] in float64", or "a [3], b [4] and cost [3, 4] in float64". */
  private static String describe(Part[] parts, boolean float32) {
    String dtype = float32 ? "float32" : "float64";
    boolean uniform = true;
    for (Part part : parts) {
      uniform &= !part.int32() && part.shape().equals(parts[0].shape());
    }
    List<String> names = new ArrayList<>();
    if (uniform) {
      for (Part part : parts) {
        names.add(part.field());
      }
      return join(names) + " of shape " + parts[0].shape() + " in " + dtype;
    }
    List<String> floats = new ArrayList<>();
    List<String> ints = new ArrayList<>();
    for (Part part : parts) {
      (part.int32() ? ints : floats).add(part.field() + " " + part.shape());
    }
    String text = floats.isEmpty() ? "" : join(floats) + " in " + dtype;
    if (!ints.isEmpty()) {
      text += (text.isEmpty() ? "" : " and ") + join(ints) + " in int32";
    }
    return text;
  }

  private static String join(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
  }

  private ByteBuffer slice(int index) {
    Part part = parts.get(index);
    int bytes = (int) part.count() * (part.int32() || float32 ? 4 : 8);
    return ByteBuffer.wrap(body, offsets[index], bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Array {@code index} widened to float64 (exact for float32), flat. */
  double[] vector(int index) {
    Part part = parts.get(index);
    double[] values = new double[(int) part.count()];
    if (float32) {
      float[] f = floats(index);
      for (int i = 0; i < values.length; i++) {
        values[i] = f[i];
      }
    } else {
      slice(index).asDoubleBuffer().get(values);
    }
    return values;
  }

  /** Matrix {@code index} widened to float64 (exact for float32). */
  RowMatrix matrix(int index) {
    Part part = parts.get(index);
    return new RowMatrix(part.field(), vector(index), part.dims()[0], part.dims()[1]);
  }

  /** Matrix {@code index} as logits, float32 kept as float32. */
  LogitsInput logits(int index) {
    Part part = parts.get(index);
    if (float32) {
      return new LogitsInput(part.field(), floats(index), null, part.dims()[0], part.dims()[1]);
    }
    return new LogitsInput(part.field(), null, vector(index), part.dims()[0], part.dims()[1]);
  }

  /** The int32 array {@code index}. */
  int[] ints(int index) {
    int[] values = new int[(int) parts.get(index).count()];
    slice(index).asIntBuffer().get(values);
    return values;
  }

  private float[] floats(int index) {
    float[] values = new float[(int) parts.get(index).count()];
    slice(index).asFloatBuffer().get(values);
    return values;
  }
}
