package dev.divergence.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.proto.evaluation.v1.Matrix;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** HTTP and protobuf plumbing shared by the Metrics API tests, and the comparison to expected values. */
final class MetricsTestSupport {

  static final JsonMapper JSON = JsonMapper.builder().build();
  /** The relative tolerance the issue asks for: float64 results against scipy / POT / numpy. */
  static final double REL = 1e-9;
  static final String BASE = "/api/v1/evaluation/metrics";

  private final HttpClient http = HttpClient.newHttpClient();
  private final int port;

  MetricsTestSupport(int port) {
    this.port = port;
  }

  /** libs/divergence's copy of the project's reference file (../shared/reference/divergences.json). */
  static JsonNode referenceFile() {
    return read(Path.of("../../libs/divergence/src/test/resources/reference/divergences.json"));
  }

  /** Made by src/test/python/metrics_reference.py. */
  static JsonNode randomCases() {
    try (InputStream in = MetricsTestSupport.class.getResourceAsStream("/metrics/random-cases.json")) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode read(Path path) {
    try {
      return JSON.readTree(Files.readString(path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  record Reply(int status, String contentType, JsonNode body) {}

  Reply postJson(String path, Object body) {
    return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + BASE + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body))).build());
  }

  Reply postBinary(String path, Map<String, String> query, byte[] body) {
    String q = query.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + BASE + path + "?" + q))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  Reply send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      String text = response.body();
      return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
          text.isEmpty() ? null : JSON.readTree(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A number, or the strings "Infinity", "-Infinity", "NaN" both the reference files and the API use. */
  static double number(JsonNode node) {
    return node.isNumber() ? node.doubleValue() : Double.parseDouble(node.asString());
  }

  static double[] vector(JsonNode node) {
    double[] v = new double[node.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = number(node.get(i));
    }
    return v;
  }

  static double[][] matrix(JsonNode node) {
    double[][] m = new double[node.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = vector(node.get(i));
    }
    return m;
  }

  static double[] flat(double[][] m) {
    int cols = m[0].length;
    double[] out = new double[m.length * cols];
    for (int r = 0; r < m.length; r++) {
      System.arraycopy(m[r], 0, out, r * cols, cols);
    }
    return out;
  }

  /** Matrices back to back, little-endian, as docs/evaluation.md specifies. */
  static byte[] littleEndian(boolean float32, double[][]... matrices) {
    int count = 0;
    for (double[][] m : matrices) {
      count += m.length * m[0].length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(count * (float32 ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
    for (double[][] m : matrices) {
      for (double v : flat(m)) {
        if (float32) {
          buffer.putFloat((float) v);
        } else {
          buffer.putDouble(v);
        }
      }
    }
    return buffer.array();
  }

  static Matrix float64(double[][] m) {
    Matrix.Builder b = Matrix.newBuilder().setRows(m.length).setCols(m[0].length);
    for (double v : flat(m)) {
      b.addFloat64(v);
    }
    return b.build();
  }

  static Matrix float32(double[][] m) {
    Matrix.Builder b = Matrix.newBuilder().setRows(m.length).setCols(m[0].length);
    for (double v : flat(m)) {
      b.addFloat32((float) v);
    }
    return b.build();
  }

  /** Exact for infinities and zero, otherwise |actual - expected| <= rel |expected|. */
  static void assertClose(String what, double actual, double expected, double rel) {
    if (Double.isInfinite(expected) || expected == 0.0) {
      assertThat(actual).as(what).isEqualTo(expected);
      return;
    }
    assertThat(Math.abs(actual - expected)).as("%s: actual %s vs expected %s", what, actual, expected)
        .isLessThanOrEqualTo(rel * Math.abs(expected));
  }

  static void assertAllClose(String what, double[] actual, double[] expected, double rel) {
    assertThat(actual).as(what + " length").hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertClose(what + "[" + i + "]", actual[i], expected[i], rel);
    }
  }

  static double mean(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s / values.length;
  }
}
