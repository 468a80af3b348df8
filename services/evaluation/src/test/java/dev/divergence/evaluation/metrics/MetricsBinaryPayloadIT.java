package dev.divergence.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The binary ({@code application/octet-stream}) form of every Metrics API endpoint with large inputs
 * besides the divergences (MetricsApiIT covers those): Sinkhorn, Wasserstein-1D, calibration, Vendi and
 * distance covariance. The same numbers sent as a binary body and as JSON must give the same response,
 * field for field (float32 bodies against JSON holding the float32-rounded values: widening is exact);
 * bad bodies are 400 problem+json naming the field, and bodies above the limit 413. Inputs are drawn
 * from a seeded generator (the seed is printed; rerun one with -Dmetrics.seed=...) and contain exact
 * zeros. Same context as {@link MetricsApiIT}.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.evaluation.metrics.max-request-bytes=4194304"})
class MetricsBinaryPayloadIT {

  private static final int LIMIT = 4194304;
  /** Random cases per endpoint and dtype. */
  private static final int CASES = 6;

  @LocalServerPort int port;
  private MetricsTestSupport rest;
  private long seed;

  @BeforeEach
  void connect() {
    rest = new MetricsTestSupport(port);
    seed = Long.getLong("metrics.seed", System.nanoTime());
    System.out.println("MetricsBinaryPayloadIT seed " + seed + " (rerun with -Dmetrics.seed=" + seed + ")");
  }

  // ---------------------------------------------------------------- inputs

  /** One array in the order of a binary body, as the JSON body holds it. */
  private record Array(double[] values, boolean int32) {
    static Array of(double[]... rows) {
      return new Array(flat(rows), false);
    }
  }

  private static double[] flat(double[]... rows) {
    int count = 0;
    for (double[] row : rows) {
      count += row.length;
    }
    double[] out = new double[count];
    int at = 0;
    for (double[] row : rows) {
      System.arraycopy(row, 0, out, at, row.length);
      at += row.length;
    }
    return out;
  }

  /** The arrays back to back, little-endian; float arrays in the dtype, integer arrays int32. */
  private static byte[] body(boolean float32, Array... arrays) {
    int bytes = 0;
    for (Array a : arrays) {
      bytes += a.values().length * (a.int32() || float32 ? 4 : 8);
    }
    ByteBuffer buffer = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (Array a : arrays) {
      for (double v : a.values()) {
        if (a.int32()) {
          buffer.putInt((int) v);
        } else if (float32) {
          buffer.putFloat((float) v);
        } else {
          buffer.putDouble(v);
        }
      }
    }
    return buffer.array();
  }

  /** The value a float32 body carries: what the JSON twin of a float32 request must hold. */
  private static double[] asSent(double[] v, boolean float32) {
    double[] out = v.clone();
    if (float32) {
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) out[i];
      }
    }
    return out;
  }

  private static double[][] asSent(double[][] m, boolean float32) {
    double[][] out = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      out[i] = asSent(m[i], float32);
    }
    return out;
  }

  /** Gaussian entries, about a quarter of them exactly zero. */
  private static double[][] gaussianWithZeros(SplittableRandom random, int rows, int cols) {
    double[][] m = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        m[i][j] = random.nextInt(4) == 0 ? 0.0 : gaussian(random);
      }
    }
    return m;
  }

  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  /**
   * A probability vector of multiples of 1/1024 with some exact zeros: exactly representable in float32,
   * so a and b keep equal total mass (1) in both dtypes, as balanced transport requires.
   */
  private static double[] dyadicMarginal(SplittableRandom random, int n) {
    int[] units = new int[n];
    int left = 1024;
    for (int i = 0; i < n - 1; i++) {
      units[i] = random.nextInt(3) == 0 ? 0 : random.nextInt(left / 2 + 1);
      left -= units[i];
    }
    units[n - 1] = left;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = units[i] / 1024.0;
    }
    return out;
  }

  private void assertSameResponse(String what, MetricsTestSupport.Reply json, MetricsTestSupport.Reply binary) {
    assertThat(json.status()).as("seed %d %s JSON: %s", seed, what, json.body()).isEqualTo(200);
    assertThat(binary.status()).as("seed %d %s binary: %s", seed, what, binary.body()).isEqualTo(200);
    assertThat(binary.body()).as("seed %d %s: binary response vs JSON response", seed, what).isEqualTo(json.body());
  }

  private static Map<String, String> query(Object... keyValues) {
    Map<String, String> query = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      query.put((String) keyValues[i], String.valueOf(keyValues[i + 1]));
    }
    return query;
  }

  private static String dtype(boolean float32) {
    return float32 ? "float32" : "float64";
  }

  // ---------------------------------------------------------------- same response as JSON

  @Test
  void sinkhornBinaryBodyAnswersAsJson() {
    SplittableRandom random = new SplittableRandom(seed);
    for (int c = 0; c < CASES; c++) {
      for (boolean float32 : new boolean[] {false, true}) {
        int n = 1 + random.nextInt(7);
        int m = 1 + random.nextInt(7);
        double[] a = dyadicMarginal(random, n);
        double[] b = dyadicMarginal(random, m);
        double[][] cost = gaussianWithZeros(random, n, m);
        for (double[] row : cost) {
          for (int j = 0; j < m; j++) {
            row[j] = Math.abs(row[j]);
          }
        }
        double epsilon = 0.05 + random.nextDouble();
        String what = "sinkhorn case " + c + " " + dtype(float32) + " [" + n + ", " + m + "]";
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("a", asSent(a, float32));
        json.put("b", asSent(b, float32));
        json.put("cost", asSent(cost, float32));
        json.put("epsilon", epsilon);
        json.put("tolerance", 1e-12);
        json.put("returnPlan", true);
        MetricsTestSupport.Reply binary = rest.postBinary("/sinkhorn", query("shape", n + "," + m, "dtype", dtype(float32),
            "epsilon", epsilon, "tolerance", 1e-12, "returnPlan", true),
            body(float32, new Array(a, false), new Array(b, false), Array.of(cost)));
        assertSameResponse(what, rest.postJson("/sinkhorn", json), binary);
        assertThat(binary.body().get("plan").size()).as(what).isEqualTo(n);
      }
    }
  }

  @Test
  void sinkhornPlanComesAsBinaryWhenTheClientAcceptsOnlyThat() {
    SplittableRandom random = new SplittableRandom(seed);
    int n = 2 + random.nextInt(6);
    int m = 2 + random.nextInt(6);
    double[] a = dyadicMarginal(random, n);
    double[] b = dyadicMarginal(random, m);
    double[][] cost = gaussianWithZeros(random, n, m);
    for (double[] row : cost) {
      for (int j = 0; j < m; j++) {
        row[j] = row[j] * row[j];
      }
    }
    JsonNode json = rest.postJson("/sinkhorn", Map.of("a", a, "b", b, "cost", cost, "epsilon", 0.3, "returnPlan", true)).body();
    byte[] requestBody = body(false, new Array(a, false), new Array(b, false), Array.of(cost));
    HttpResponse<byte[]> reply = sendBytes(HttpRequest.newBuilder(uri("/sinkhorn", query("shape", n + "," + m,
            "dtype", "float64", "epsilon", 0.3)))
        .header("Content-Type", "application/octet-stream").header("Accept", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(requestBody)).build());
    assertThat(reply.statusCode()).as("seed %d", seed).isEqualTo(200);
    assertThat(reply.headers().firstValue("Content-Type").orElse("")).startsWith("application/octet-stream");
    assertThat(reply.headers().firstValue("Plan-Shape")).hasValue(n + "," + m);
    assertThat(reply.headers().firstValue("Plan-Dtype")).hasValue("float64");
    // the scalars are exact decimal renderings: the same doubles as the JSON response
    assertThat(Double.parseDouble(reply.headers().firstValue("Sinkhorn-Cost").orElseThrow()))
        .isEqualTo(json.get("cost").doubleValue());
    assertThat(Double.parseDouble(reply.headers().firstValue("Sinkhorn-Marginal-Error").orElseThrow()))
        .isEqualTo(json.get("marginalError").doubleValue());
    assertThat(reply.headers().firstValue("Sinkhorn-Iterations")).hasValue(json.get("iterations").asString());
    assertThat(reply.headers().firstValue("Sinkhorn-Converged")).hasValue(json.get("converged").asString());
    ByteBuffer plan = ByteBuffer.wrap(reply.body()).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(reply.body()).hasSize(n * m * 8);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        assertThat(plan.getDouble()).as("seed %d plan[%d][%d]", seed, i, j).isEqualTo(json.get("plan").get(i).get(j).doubleValue());
      }
    }
    // a JSON request may ask for the binary plan too; a client accepting JSON gets JSON
    HttpResponse<byte[]> fromJson = sendBytes(HttpRequest.newBuilder(uri("/sinkhorn", Map.of()))
        .header("Content-Type", "application/json").header("Accept", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofString(MetricsTestSupport.JSON.writeValueAsString(
            Map.of("a", a, "b", b, "cost", cost, "epsilon", 0.3)))).build());
    assertThat(fromJson.body()).isEqualTo(reply.body());
    HttpResponse<byte[]> both = sendBytes(HttpRequest.newBuilder(uri("/sinkhorn", query("shape", n + "," + m,
            "dtype", "float64", "epsilon", 0.3, "returnPlan", true)))
        .header("Content-Type", "application/octet-stream").header("Accept", "application/json, application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(requestBody)).build());
    assertThat(MetricsTestSupport.JSON.readTree(both.body())).isEqualTo(json);
    // errors stay problem+json whatever the client accepts
    HttpResponse<byte[]> bad = sendBytes(HttpRequest.newBuilder(uri("/sinkhorn", query("shape", n + "," + m,
            "dtype", "float64")))
        .header("Content-Type", "application/octet-stream").header("Accept", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(requestBody)).build());
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(MetricsTestSupport.JSON.readTree(bad.body()).at("/errors/0/field").asString()).isEqualTo("epsilon");
  }

  @Test
  void wassersteinBinaryBodyAnswersAsJson() {
    SplittableRandom random = new SplittableRandom(seed);
    for (int c = 0; c < CASES; c++) {
      for (boolean float32 : new boolean[] {false, true}) {
        int n = 1 + random.nextInt(40);
        int m = 1 + random.nextInt(40);
        double[] u = gaussianWithZeros(random, 1, n)[0];
        double[] v = gaussianWithZeros(random, 1, m)[0];
        // weights with exact zeros, at least one positive each
        double[] uw = gaussianWithZeros(random, 1, n)[0];
        double[] vw = gaussianWithZeros(random, 1, m)[0];
        for (int i = 0; i < n; i++) {
          uw[i] = Math.abs(uw[i]);
        }
        for (int i = 0; i < m; i++) {
          vw[i] = Math.abs(vw[i]);
        }
        uw[0] = 1.0;
        vw[m - 1] = 0.5;
        double p = random.nextBoolean() ? 1.0 : 1 + 2 * random.nextDouble();
        String what = "wasserstein case " + c + " " + dtype(float32) + " n=" + n + " m=" + m + " p=" + p;
        MetricsTestSupport.Reply plain = rest.postBinary("/wasserstein-1d",
            query("shape", n + "," + m, "dtype", dtype(float32), "p", p),
            body(float32, new Array(u, false), new Array(v, false)));
        assertSameResponse(what, rest.postJson("/wasserstein-1d",
            Map.of("u", asSent(u, float32), "v", asSent(v, float32), "p", p)), plain);
        MetricsTestSupport.Reply weighted = rest.postBinary("/wasserstein-1d",
            query("shape", n + "," + m, "dtype", dtype(float32), "p", p, "weighted", true),
            body(float32, new Array(u, false), new Array(v, false), new Array(uw, false), new Array(vw, false)));
        assertSameResponse(what + " weighted", rest.postJson("/wasserstein-1d", Map.of("u", asSent(u, float32),
            "v", asSent(v, float32), "uWeights", asSent(uw, float32), "vWeights", asSent(vw, float32), "p", p)), weighted);
      }
    }
  }

  @Test
  void calibrationBinaryBodyAnswersAsJson() {
    SplittableRandom random = new SplittableRandom(seed);
    for (int c = 0; c < CASES; c++) {
      for (boolean float32 : new boolean[] {false, true}) {
        int n = 1 + random.nextInt(200);
        int classes = 2 + random.nextInt(6);
        double[][] probabilities = new double[n][classes];
        double[] targets = new double[n];
        for (int i = 0; i < n; i++) {
          double sum = 0;
          for (int k = 0; k < classes; k++) {
            probabilities[i][k] = random.nextInt(3) == 0 ? 0.0 : random.nextDouble();
            sum += probabilities[i][k];
          }
          if (sum == 0) {
            probabilities[i][random.nextInt(classes)] = 1.0;
            sum = 1.0;
          }
          for (int k = 0; k < classes; k++) {
            probabilities[i][k] /= sum;
          }
          targets[i] = random.nextInt(classes);
        }
        int bins = 1 + random.nextInt(20);
        String norm = List.of("l1", "l2", "max").get(random.nextInt(3));
        String edges = List.of("numpy_histogram", "torchmetrics", "guo").get(random.nextInt(3));
        String what = "calibration case " + c + " " + dtype(float32) + " [" + n + ", " + classes + "] bins=" + bins
            + " " + norm + " " + edges;
        int[] intTargets = new int[n];
        for (int i = 0; i < n; i++) {
          intTargets[i] = (int) targets[i];
        }
        MetricsTestSupport.Reply binary = rest.postBinary("/calibration", query("shape", n + "," + classes,
            "dtype", dtype(float32), "bins", bins, "norm", norm, "edges", edges),
            body(float32, Array.of(probabilities), new Array(targets, true)));
        assertSameResponse(what, rest.postJson("/calibration", Map.of("probabilities", asSent(probabilities, float32),
            "targets", intTargets, "bins", bins, "norm", norm, "edges", edges)), binary);
        // the binary form: confidences with 0/1 or soft accuracies, exact zeros and ones among them
        double[] confidences = new double[n];
        double[] accuracies = new double[n];
        for (int i = 0; i < n; i++) {
          int kind = random.nextInt(4);
          confidences[i] = kind == 0 ? 0.0 : kind == 1 ? 1.0 : random.nextDouble();
          accuracies[i] = random.nextBoolean() ? random.nextInt(2) : random.nextDouble();
        }
        MetricsTestSupport.Reply given = rest.postBinary("/calibration", query("shape", n, "dtype", dtype(float32),
            "bins", bins, "norm", norm, "edges", edges),
            body(float32, new Array(confidences, false), new Array(accuracies, false)));
        assertSameResponse(what + " confidences", rest.postJson("/calibration", Map.of("confidences",
            asSent(confidences, float32), "accuracies", asSent(accuracies, float32), "bins", bins, "norm", norm,
            "edges", edges)), given);
      }
    }
  }

  @Test
  void vendiBinaryBodyAnswersAsJson() {
    SplittableRandom random = new SplittableRandom(seed);
    for (int c = 0; c < CASES; c++) {
      for (boolean float32 : new boolean[] {false, true}) {
        int n = 1 + random.nextInt(30);
        int d = 1 + random.nextInt(8);
        double[][] embeddings = gaussianWithZeros(random, n, d);
        for (double[] row : embeddings) {
          row[random.nextInt(d)] = 0.5 + random.nextDouble(); // no zero row: cosine similarity needs a norm
        }
        String what = "vendi case " + c + " " + dtype(float32) + " embeddings [" + n + ", " + d + "]";
        MetricsTestSupport.Reply binary = rest.postBinary("/vendi", query("shape", n + "," + d, "dtype", dtype(float32),
            "input", "embeddings", "q", "0.5,1,2,Infinity"), body(float32, Array.of(embeddings)));
        assertSameResponse(what, rest.postJson("/vendi", Map.of("embeddings", asSent(embeddings, float32),
            "q", List.of(0.5, 1, 2, "Infinity"))), binary);
        // a similarity with exact zeros: two blocks of a Laplacian kernel exp(-|t_i - t_j|) (positive
        // definite, unit diagonal, exactly symmetric), zero between the blocks
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
          t[i] = 3 * random.nextDouble();
        }
        int split = random.nextInt(n + 1);
        double[][] similarity = new double[n][n];
        for (int i = 0; i < n; i++) {
          for (int j = 0; j <= i; j++) {
            double k = i == j ? 1.0 : (i < split) == (j < split) ? Math.exp(-Math.abs(t[i] - t[j])) : 0.0;
            similarity[i][j] = k;
            similarity[j][i] = k;
          }
        }
        MetricsTestSupport.Reply binarySimilarity = rest.postBinary("/vendi", query("shape", n + "," + n,
            "dtype", dtype(float32), "input", "similarity", "q", "1,2"), body(float32, Array.of(similarity)));
        assertSameResponse(what + " similarity", rest.postJson("/vendi", Map.of("similarity", asSent(similarity, float32),
            "q", List.of(1, 2))), binarySimilarity);
      }
    }
  }

  @Test
  void distanceCovarianceBinaryBodyAnswersAsJson() {
    SplittableRandom random = new SplittableRandom(seed);
    for (int c = 0; c < CASES; c++) {
      for (boolean float32 : new boolean[] {false, true}) {
        int n = 4 + random.nextInt(40);
        int dx = 1 + random.nextInt(4);
        int dy = 1 + random.nextInt(4);
        double[][] x = gaussianWithZeros(random, n, dx);
        double[][] y = gaussianWithZeros(random, n, dy);
        String estimator = random.nextBoolean() ? "biased" : "unbiased";
        double exponent = random.nextBoolean() ? 1.0 : 0.2 + 1.6 * random.nextDouble();
        String what = "dcov case " + c + " " + dtype(float32) + " n=" + n + " dx=" + dx + " dy=" + dy + " " + estimator
            + " exponent " + exponent;
        MetricsTestSupport.Reply binary = rest.postBinary("/distance-covariance", query("shape", n + "," + dx + "," + dy,
            "dtype", dtype(float32), "estimator", estimator, "exponent", exponent), body(float32, Array.of(x), Array.of(y)));
        assertSameResponse(what, rest.postJson("/distance-covariance", Map.of("x", asSent(x, float32),
            "y", asSent(y, float32), "estimator", estimator, "exponent", exponent)), binary);
        int dz = 1 + random.nextInt(3);
        double[][] z = gaussianWithZeros(random, n, dz);
        double constant = 2 * random.nextDouble();
        MetricsTestSupport.Reply joint = rest.postBinary("/distance-covariance", query("variables", true,
            "shape", n + "," + dx + "," + dy + "," + dz, "dtype", dtype(float32), "estimator", estimator, "c", constant),
            body(float32, Array.of(x), Array.of(y), Array.of(z)));
        assertSameResponse(what + " JdCov", rest.postJson("/distance-covariance", Map.of("variables",
            List.of(asSent(x, float32), asSent(y, float32), asSent(z, float32)), "estimator", estimator, "c", constant)),
            joint);
      }
    }
  }

  // ---------------------------------------------------------------- bad bodies

  private static void assertProblem(MetricsTestSupport.Reply reply, String field, String... detail) {
    assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(400);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.body().at("/errors/0/field").asString()).as(String.valueOf(reply.body())).isEqualTo(field);
    for (String text : detail) {
      assertThat(reply.body().get("detail").asString()).contains(text);
    }
  }

  private static final double[] A = {0.25, 0.75};
  private static final double[] B = {0.5, 0.25, 0.25};
  private static final double[][] COST = {{0, 1, 2}, {1, 0, 1}};

  @Test
  void badSinkhornBodies() {
    Map<String, String> ok = query("shape", "2,3", "dtype", "float64", "epsilon", 0.5);
    assertThat(rest.postBinary("/sinkhorn", ok, body(false, new Array(A, false), new Array(B, false), Array.of(COST)))
        .status()).isEqualTo(200);
    assertProblem(rest.postBinary("/sinkhorn", ok, body(false, new Array(A, false), Array.of(COST))), "body",
        "has 64 bytes but a [2], b [3] and cost [2, 3] in float64 take 88 bytes");
    assertProblem(rest.postBinary("/sinkhorn", query("dtype", "float64", "epsilon", 0.5),
        body(false, new Array(A, false), new Array(B, false), Array.of(COST))), "shape", "is required", "n,m");
    assertProblem(rest.postBinary("/sinkhorn", query("shape", "2,3,1", "dtype", "float64", "epsilon", 0.5),
        body(false, new Array(A, false), new Array(B, false), Array.of(COST))), "shape", "must be 'n,m'");
    assertProblem(rest.postBinary("/sinkhorn", query("shape", "2,3", "dtype", "int8", "epsilon", 0.5),
        body(false, new Array(A, false), new Array(B, false), Array.of(COST))), "dtype", "'int8'");
    assertProblem(rest.postBinary("/sinkhorn", query("shape", "2,3", "dtype", "float32", "epsilon", 0.5),
        body(true, new Array(new double[] {-0.25, 1.25}, false), new Array(B, false), Array.of(COST))), "a[0]",
        "must not be negative");
    assertProblem(rest.postBinary("/sinkhorn", ok, body(false, new Array(A, false),
        new Array(new double[] {0.5, Double.NaN, 0.25}, false), Array.of(COST))), "b[1]", "must be finite but is NaN");
    assertProblem(rest.postBinary("/sinkhorn", ok, body(false, new Array(A, false), new Array(B, false),
        Array.of(new double[] {0, 1, 2}, new double[] {1, Double.POSITIVE_INFINITY, 1}))), "cost[1][1]", "must be finite");
  }

  @Test
  void badWassersteinBodies() {
    double[] u = {0, 1, 3};
    double[] v = {2, 0};
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "float32"),
        body(true, new Array(u, false), new Array(v, false), new Array(v, false))), "body",
        "has 28 bytes but u [3] and v [2] in float32 take 20 bytes");
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "float32", "weighted", true),
        body(true, new Array(u, false), new Array(v, false))), "body",
        "u [3], v [2], uWeights [3] and vWeights [2] in float32 take 40 bytes");
    assertProblem(rest.postBinary("/wasserstein-1d", query("dtype", "float64"),
        body(false, new Array(u, false), new Array(v, false))), "shape", "is required");
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "bfloat16"),
        body(false, new Array(u, false), new Array(v, false))), "dtype");
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "float64"),
        body(false, new Array(new double[] {0, Double.NEGATIVE_INFINITY, 3}, false), new Array(v, false))), "u[1]",
        "must be finite but is -Infinity");
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "float64", "weighted", true),
        body(false, new Array(u, false), new Array(v, false), new Array(new double[] {1, 1, 1}, false),
            new Array(new double[] {1, -2}, false))), "vWeights[1]", "must not be negative");
    assertProblem(rest.postBinary("/wasserstein-1d", query("shape", "3,2", "dtype", "float64", "weighted", "yes"),
        body(false, new Array(u, false), new Array(v, false))), "weighted", "'true' or 'false'");
  }

  @Test
  void badCalibrationBodies() {
    double[][] probabilities = {{0.2, 0.8}, {0.6, 0.4}, {0.5, 0.5}};
    Array targets = new Array(new double[] {1, 0, 1}, true);
    Map<String, String> ok = query("shape", "3,2", "dtype", "float64");
    assertThat(rest.postBinary("/calibration", ok, body(false, Array.of(probabilities), targets)).status()).isEqualTo(200);
    assertProblem(rest.postBinary("/calibration", ok, body(false, Array.of(probabilities))), "body",
        "has 48 bytes but probabilities [3, 2] in float64 and targets [3] in int32 take 60 bytes");
    assertProblem(rest.postBinary("/calibration", query("shape", "3,2", "dtype", "float16"),
        body(false, Array.of(probabilities), targets)), "dtype");
    assertProblem(rest.postBinary("/calibration", query("dtype", "float64"), body(false, Array.of(probabilities), targets)),
        "shape", "is required", "n,classes");
    assertProblem(rest.postBinary("/calibration", query("shape", "3,0", "dtype", "float64"),
        body(false, Array.of(probabilities), targets)), "shape", "positive integers");
    assertProblem(rest.postBinary("/calibration", query("shape", "3,2", "dtype", "float32"),
        body(true, Array.of(new double[] {0.2, 0.8}, new double[] {1.1, -0.1}, new double[] {0.5, 0.5}), targets)),
        "probabilities[1][0]", "must be a probability");
    assertProblem(rest.postBinary("/calibration", ok,
        body(false, Array.of(new double[] {0.2, 0.8}, new double[] {0.6, 0.4}, new double[] {Double.NaN, 0.5}), targets)),
        "probabilities[2][0]", "NaN");
    assertProblem(rest.postBinary("/calibration", ok,
        body(false, Array.of(probabilities), new Array(new double[] {1, 2, 0}, true))), "targets[1]",
        "must be a class index in [0, 2) but is 2");
    assertProblem(rest.postBinary("/calibration", query("shape", "3", "dtype", "float64"),
        body(false, new Array(new double[] {0.2, 0.9, 0.5}, false))), "body",
        "has 24 bytes but confidences and accuracies of shape [3] in float64 take 48 bytes");
    assertProblem(rest.postBinary("/calibration", query("shape", "3", "dtype", "float64"),
        body(false, new Array(new double[] {0.2, 0.9, 0.5}, false), new Array(new double[] {1, 0, 1.5}, false))),
        "accuracies[2]", "must be in [0, 1] but is 1.5");
    assertProblem(rest.postBinary("/calibration", query("shape", "3", "dtype", "float32"),
        body(true, new Array(new double[] {0.2, Double.NaN, 0.5}, false), new Array(new double[] {1, 0, 1}, false))),
        "confidences[1]", "NaN");
  }

  @Test
  void badVendiBodies() {
    double[][] similarity = {{1, 0.5}, {0.5, 1}};
    assertProblem(rest.postBinary("/vendi", query("shape", "2,2", "dtype", "float64"), body(false, Array.of(similarity))),
        "input", "'similarity' or 'embeddings'");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,2", "dtype", "float64", "input", "similarity"),
        body(false, Array.of(similarity), Array.of(similarity))), "body",
        "has 64 bytes but similarity of shape [2, 2] in float64 take 32 bytes");
    assertProblem(rest.postBinary("/vendi", query("dtype", "float64", "input", "similarity"),
        body(false, Array.of(similarity))), "shape", "is required");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,2", "dtype", "half", "input", "similarity"),
        body(false, Array.of(similarity))), "dtype");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,2", "dtype", "float32", "input", "similarity"),
        body(true, Array.of(new double[] {1, Double.POSITIVE_INFINITY}, new double[] {0.5, 1}))), "similarity[0][1]",
        "must be finite");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,3", "dtype", "float64", "input", "embeddings"),
        body(false, Array.of(new double[] {1, 0, 2}, new double[] {0, Double.NaN, 1}))), "embeddings[1][1]",
        "must be finite but is NaN");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,3", "dtype", "float64", "input", "similarity"),
        body(false, Array.of(new double[] {1, 0, 2}, new double[] {0, 1, 1}))), "similarity", "must be square");
    assertProblem(rest.postBinary("/vendi", query("shape", "2,2", "dtype", "float64", "input", "similarity", "q", "1,two"),
        body(false, Array.of(similarity))), "q[1]", "must be a number");
  }

  @Test
  void badDistanceCovarianceBodies() {
    double[][] x = {{1, 0}, {2, 1}, {0, 0}, {3, 1}};
    double[][] y = {{0.5}, {0}, {1}, {2}};
    assertThat(rest.postBinary("/distance-covariance", query("shape", "4,2,1", "dtype", "float64"),
        body(false, Array.of(x), Array.of(y))).status()).isEqualTo(200);
    assertProblem(rest.postBinary("/distance-covariance", query("shape", "4,2,2", "dtype", "float64"),
        body(false, Array.of(x), Array.of(y))), "body",
        "has 96 bytes but x and y of shape [4, 2] in float64 take 128 bytes");
    assertProblem(rest.postBinary("/distance-covariance", query("shape", "4,2", "dtype", "float64"),
        body(false, Array.of(x), Array.of(y))), "shape", "must be 'n,dx,dy'");
    assertProblem(rest.postBinary("/distance-covariance", query("dtype", "float64"), body(false, Array.of(x), Array.of(y))),
        "shape", "is required");
    assertProblem(rest.postBinary("/distance-covariance", query("shape", "4,2,1", "dtype", "complex64"),
        body(false, Array.of(x), Array.of(y))), "dtype");
    assertProblem(rest.postBinary("/distance-covariance", query("shape", "4,2,1", "dtype", "float32"),
        body(true, Array.of(x), Array.of(new double[] {0.5}, new double[] {0}, new double[] {Double.NaN}, new double[] {2}))),
        "y[2][0]", "must be finite but is NaN");
    assertProblem(rest.postBinary("/distance-covariance", query("variables", true, "shape", "4,2", "dtype", "float64"),
        body(false, Array.of(x))), "shape", "n,d1,d2,...");
    assertProblem(rest.postBinary("/distance-covariance", query("variables", true, "shape", "4,2,1", "dtype", "float64"),
        body(false, Array.of(new double[] {1, 0}, new double[] {2, Double.POSITIVE_INFINITY}, new double[] {0, 0},
            new double[] {3, 1}), Array.of(y))), "variables[0][1][1]", "must be finite");
  }

  @Test
  void unknownQueryParametersAreNamedAsUnknownJsonFieldsAre() {
    double[][] p = {{0.5, 0.5}};
    assertProblem(rest.postBinary("/divergences", query("divergence", "kl", "shape", "1,2", "dtype", "float64",
        "normalize", true), MetricsTestSupport.littleEndian(false, p, p)), "normalize",
        "is not a query parameter of a binary /divergences request", "normalise");
    assertThat(rest.postBinary("/divergences", query("divergence", "jsd", "shape", "1,2", "dtype", "float64",
        "parameters.beta", 0.3), MetricsTestSupport.littleEndian(false, p, p)).status()).isEqualTo(200);
    assertProblem(rest.postBinary("/sinkhorn", query("shape", "2,3", "dtype", "float64", "eps", 0.5),
        body(false, new Array(A, false), new Array(B, false), Array.of(COST))), "eps", "epsilon");
    assertProblem(rest.postBinary("/vendi", query("shape", "1,1", "dtype", "float64", "input", "similarity",
        "order", 2), body(false, Array.of(new double[] {1}))), "order");
  }

  @Test
  void bodiesAboveTheSizeLimitAre413ForEveryBinaryEndpoint() {
    byte[] tooLarge = new byte[LIMIT + 8];
    Map<String, Map<String, String>> endpoints = new LinkedHashMap<>();
    endpoints.put("/sinkhorn", query("shape", "1,1", "dtype", "float64", "epsilon", 1));
    endpoints.put("/wasserstein-1d", query("shape", "1,1", "dtype", "float64"));
    endpoints.put("/calibration", query("shape", "1,2", "dtype", "float64"));
    endpoints.put("/vendi", query("shape", "1,1", "dtype", "float64", "input", "similarity"));
    endpoints.put("/distance-covariance", query("shape", "1,1,1", "dtype", "float64"));
    for (var endpoint : endpoints.entrySet()) {
      MetricsTestSupport.Reply reply = rest.postBinary(endpoint.getKey(), endpoint.getValue(), tooLarge);
      assertThat(reply.status()).as(endpoint.getKey()).isEqualTo(413);
      assertThat(reply.contentType()).as(endpoint.getKey()).startsWith("application/problem+json");
      assertThat(reply.body().get("setting").asString()).isEqualTo("divergence.evaluation.metrics.max-request-bytes");
      assertThat(reply.body().at("/errors/0/field").asString()).isEqualTo("body");
    }
  }

  // ---------------------------------------------------------------- plumbing

  private URI uri(String path, Map<String, String> query) {
    String q = query.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    return URI.create("http://localhost:" + port + MetricsTestSupport.BASE + path + (q.isEmpty() ? "" : "?" + q));
  }

  private static HttpResponse<byte[]> sendBytes(HttpRequest request) {
    try {
      return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
