package dev.divergence.evaluation.metrics;

import static dev.divergence.evaluation.metrics.MetricsTestSupport.float32;
import static dev.divergence.evaluation.metrics.MetricsTestSupport.float64;
import static dev.divergence.evaluation.metrics.MetricsTestSupport.littleEndian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.evaluation.v1.DivergencesRequest;
import dev.divergence.proto.evaluation.v1.LogitsDivergencesRequest;
import dev.divergence.proto.evaluation.v1.Matrix;
import dev.divergence.proto.evaluation.v1.MetricsServiceGrpc;
import dev.divergence.proto.evaluation.v1.PassAtKRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Every rejection rule of the Metrics API, over REST (400 problem+json, 413 for the size limit) and
 * gRPC (INVALID_ARGUMENT with the divergence-invalid-fields trailer), naming the field and the first
 * offending index. Same context as {@link MetricsApiIT} (a 4 MiB limit so the 413 test stays small).
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.evaluation.metrics.max-request-bytes=4194304"})
class MetricsBadInputIT {

  private static final int LIMIT = 4194304;
  private static final double[][] P = {{0.2, 0.3, 0.5}, {0.1, 0.1, 0.8}, {0.25, 0.25, 0.5}};
  private static final double[][] Q = {{0.3, 0.3, 0.4}, {0.6, 0.2, 0.2}, {0.5, 0.25, 0.25}};

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  private MetricsTestSupport rest;
  private ManagedChannel channel;
  private MetricsServiceGrpc.MetricsServiceBlockingStub stub;

  @BeforeEach
  void connect() {
    rest = new MetricsTestSupport(port);
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext()
        .maxInboundMessageSize(16 * 1024 * 1024).build();
    stub = MetricsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  private static void assertProblem(MetricsTestSupport.Reply reply, String field, String... detail) {
    assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(400);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.body().at("/errors/0/field").asString()).as(String.valueOf(reply.body())).isEqualTo(field);
    if (detail.length > 0) {
      assertThat(reply.body().get("detail").asString()).contains(detail);
    }
  }

  private static void assertInvalid(ThrowingCallable call, String field, String... detail) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
      assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
      assertThat(error.getStatus().getDescription()).contains(field).contains(detail);
    });
  }

  private static Map<String, Object> body(String divergence, Object p, Object q) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("divergence", divergence);
    body.put("p", p);
    body.put("q", q);
    return body;
  }

  private static DivergencesRequest.Builder grpcRequest(String divergence, Matrix p, Matrix q) {
    return DivergencesRequest.newBuilder().setDivergence(divergence).setP(p).setQ(q);
  }

  private static Map<String, String> query(String divergence, int rows, int cols, String dtype) {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("divergence", divergence);
    query.put("shape", rows + "," + cols);
    query.put("dtype", dtype);
    return query;
  }

  @Test
  void unknownMetricDivergenceOrParameter() {
    assertProblem(rest.postJson("/divergences", body("kl_typo", P, Q)), "divergence", "unknown name 'kl_typo'");
    assertInvalid(() -> stub.divergences(grpcRequest("kl_typo", float64(P), float64(Q)).build()), "divergence", "unknown");
    assertProblem(rest.postJson("/divergences", body("", P, Q)), "divergence", "is required");
    assertProblem(rest.postJson("/entropy", Map.of()), "metric", "unknown metric 'entropy'");
    assertProblem(rest.postJson("/divergences/nope", body("kl", P, Q)), "metric", "unknown metric");
    Map<String, Object> unknownParameter = body("jsd", P, Q);
    unknownParameter.put("parameters", Map.of("gamma", 0.5));
    assertProblem(rest.postJson("/divergences", unknownParameter), "parameters.gamma", "not a parameter of jsd");
    assertInvalid(() -> stub.divergences(grpcRequest("jsd", float64(P), float64(Q)).putParameters("beta", 2.0).build()),
        "parameters.beta", "must be in [0.0, 1.0]");
    Map<String, Object> misspelt = body("kl", P, Q);
    misspelt.put("normalize", true);
    assertProblem(rest.postJson("/divergences", misspelt), "normalize", "normalize");
    Map<String, Object> bits = body("tv", P, Q);
    bits.put("logBase", "bits");
    assertProblem(rest.postJson("/divergences", bits), "logBase", "not measured in information units");
  }

  @Test
  void mismatchedShapes() {
    double[][] wide = {{0.25, 0.25, 0.25, 0.25}, {0.25, 0.25, 0.25, 0.25}, {0.25, 0.25, 0.25, 0.25}};
    assertProblem(rest.postJson("/divergences", body("kl", P, wide)), "q", "has shape [3, 4] but p has [3, 3]");
    assertInvalid(() -> stub.divergences(grpcRequest("kl", float64(P), float64(wide)).build()), "q", "shapes must match");
    assertProblem(rest.postJson("/divergences", body("kl", new double[][] {{0.5, 0.5}, {1.0}}, Q)), "p[1]",
        "has 1 values but row 0 has 2");
    assertProblem(rest.postBinary("/divergences", query("kl", 3, 3, "float64"), littleEndian(false, P)), "body",
        "has 72 bytes but p and q of shape [3, 3] in float64 take 144 bytes");
    assertProblem(rest.postBinary("/divergences", query("kl", 3, 3, "float16"), littleEndian(false, P, Q)), "dtype");
    assertProblem(rest.postBinary("/divergences", Map.of("divergence", "kl", "dtype", "float64"), littleEndian(false, P, Q)),
        "shape", "is required");
    Matrix shortByOne = float64(P).toBuilder().setRows(4).build();
    assertInvalid(() -> stub.divergences(grpcRequest("kl", shortByOne, float64(Q)).build()), "p",
        "has 9 values but rows * cols = 4 * 3 = 12");
    Matrix bothDtypes = float64(P).toBuilder().addFloat32(0.5f).build();
    assertInvalid(() -> stub.divergences(grpcRequest("kl", bothDtypes, float64(Q)).build()), "p", "set exactly one");
    assertProblem(rest.postJson("/divergences/logits", Map.of("divergence", "kl", "teacherLogits", P, "studentLogits", wide)),
        "studentLogits", "shapes must match");
    assertProblem(rest.postJson("/divergences/logits", Map.of("divergence", "kl", "teacherLogits", P, "studentLogits", Q,
        "rowMask", List.of(true, false))), "rowMask", "has 2 entries but there are 3 rows");
    assertProblem(rest.postJson("/divergences/logits", Map.of("divergence", "kl", "teacherLogits", P, "studentLogits", Q,
        "topK", 4)), "topK", "between 1 and the vocabulary size 3");
    assertProblem(rest.postJson("/sinkhorn", Map.of("a", List.of(0.5, 0.5), "b", List.of(0.5, 0.5), "cost", P,
        "epsilon", 1.0)), "cost", "has shape [3, 3] but a and b need [2, 2]");
    assertProblem(rest.postJson("/distance-covariance", Map.of("x", P, "y", new double[][] {{1}, {2}})), "y",
        "has 2 observations but x has 3");
  }

  @Test
  void nanAndInfinityNameTheFirstOffendingIndex() {
    // two bad values: the first in row-major order is named
    assertProblem(rest.postJson("/divergences", body("kl", List.of(List.of(0.2, 0.3, 0.5), List.of(0.1, "NaN", "NaN"),
        List.of(0.25, 0.25, 0.5)), Q)), "p[1][1]", "must be finite but is NaN");
    double[][] infiniteP = {{0.2, 0.3, 0.5}, {0.1, 0.1, 0.8}, {0.25, Double.POSITIVE_INFINITY, 0.5}};
    assertProblem(rest.postBinary("/divergences", query("js", 3, 3, "float64"), littleEndian(false, infiniteP, Q)),
        "p[2][1]", "must be finite but is Infinity");
    double[][] nanQ = {{0.3, 0.3, 0.4}, {0.6, 0.2, 0.2}, {Double.NaN, 0.25, 0.25}};
    assertProblem(rest.postBinary("/divergences", query("js", 3, 3, "float32"), littleEndian(true, P, nanQ)),
        "q[2][0]", "must be finite but is NaN");
    assertInvalid(() -> stub.divergences(grpcRequest("kl", float64(P), float32(nanQ)).build()), "q[2][0]", "NaN");
    double[][] logits = {{1, 2, 3}, {0, Double.NEGATIVE_INFINITY, 1}, {4, 5, 6}};
    assertProblem(rest.postBinary("/divergences/logits", query("kl", 3, 3, "float32"), littleEndian(true, P, logits)),
        "studentLogits[1][1]", "must be finite but is -Infinity");
    assertInvalid(() -> stub.logitsDivergences(LogitsDivergencesRequest.newBuilder().setDivergence("js")
        .setTeacherLogits(float64(logits)).setStudentLogits(float64(P)).build()), "teacherLogits[1][1]", "-Infinity");
    assertProblem(rest.postJson("/vendi", Map.of("similarity", List.of(List.of(1.0, "Infinity"), List.of(0.5, 1.0)))),
        "similarity[0][1]", "must be finite");
  }

  @Test
  void negativeProbabilities() {
    double[][] negative = {{0.2, 0.3, 0.5}, {0.6, 0.5, -0.1}, {0.25, 0.25, 0.5}};
    assertProblem(rest.postJson("/divergences", body("kl", negative, Q)), "p[1][2]", "must not be negative but is -0.1");
    assertInvalid(() -> stub.divergences(grpcRequest("kl", float64(Q), float64(negative)).setNormalise(true).build()),
        "q[1][2]", "must not be negative");
    assertProblem(rest.postJson("/calibration", Map.of("probabilities", negative, "targets", List.of(0, 1, 2))),
        "probabilities[1][2]", "must be a probability");
  }

  @Test
  void unnormalisedRowsNeedTheNormaliseOption() {
    double[][] counts = {{0.2, 0.3, 0.5}, {0.1, 0.1, 0.8}, {2, 1, 3}};
    assertProblem(rest.postJson("/divergences", body("js", counts, Q)), "p[2]", "sums to 6.0, not 1", "set normalise");
    assertInvalid(() -> stub.divergences(grpcRequest("js", float64(Q), float64(counts)).build()), "q[2]", "normalise");
    Map<String, Object> normalised = body("js", counts, Q);
    normalised.put("normalise", true);
    MetricsTestSupport.Reply ok = rest.postJson("/divergences", normalised);
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body().at("/convention/normalised").asBoolean()).isTrue();
    double[][] zeroRow = {{0.2, 0.3, 0.5}, {0, 0, 0}, {2, 1, 3}};
    normalised.put("p", zeroRow);
    assertProblem(rest.postJson("/divergences", normalised), "p[1]", "sums to 0");
  }

  @Test
  void passAtKRejectsKAboveN() {
    assertProblem(rest.postJson("/pass-at-k", Map.of("n", List.of(10, 3), "c", List.of(1, 1), "k", List.of(1, 4))),
        "k[1]", "problem 1 has only n[1] = 3 samples");
    assertInvalid(() -> stub.passAtK(PassAtKRequest.newBuilder().addN(5).addC(2).addK(6).build()), "k[0]", "k > n");
    assertProblem(rest.postJson("/pass-at-k", Map.of("n", List.of(10, 3), "c", List.of(1, 4))), "c[1]",
        "must be in [0, n[1] = 3]");
    assertProblem(rest.postJson("/pass-at-k", Map.of("n", List.of(10, 3), "c", List.of(1))), "c", "one per problem");
  }

  @Test
  void passAtKWithoutProblemsIsBadInputNamingN() {
    // found by EvaluationApiFuzzIT: empty n and c with k listed reached the library's check, a 500
    assertProblem(rest.postJson("/pass-at-k", Map.of("n", List.of(), "c", List.of(), "k", List.of(1, 2))), "n",
        "at least one problem");
    assertInvalid(() -> stub.passAtK(PassAtKRequest.newBuilder().addK(1).build()), "n", "at least one problem");
  }

  @Test
  void anEmptyBodyOfAnotherTypeIsBadInputOnEveryMetricWithAJsonAndABinaryForm() {
    // found by EvaluationApiFuzzIT: with no body, the JSON and the binary mapping both matched (500 "ambiguous handler")
    for (String metric : List.of("/divergences", "/divergences/logits", "/sinkhorn", "/wasserstein-1d", "/calibration",
        "/vendi", "/distance-covariance")) {
      for (String type : List.of("application/x-www-form-urlencoded", "text/plain")) {
        MetricsTestSupport.Reply reply = rest.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/api/v1/evaluation/metrics" + metric))
            .header("Content-Type", type).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(reply.status()).as(metric + " " + type + ": " + reply.body()).isEqualTo(400);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().at("/errors/0/field").asString()).as(metric).isNotEmpty();
      }
    }
  }

  @Test
  void anAcceptHeaderThatIsNoMediaTypeIsAProblemNamingIt() {
    // found by EvaluationApiFuzzIT: the 400 had no body, as Spring drops an error's body when Accept does not parse
    String sinkhorn = "{\"a\":[0.5,0.5],\"b\":[0.5,0.5],\"cost\":[[0,1],[1,0]],\"epsilon\":0.1}";
    for (String accept : List.of("%s%n", "tiny-lm", "a")) {
      MetricsTestSupport.Reply reply = rest.send(HttpRequest.newBuilder(
              URI.create("http://localhost:" + port + "/api/v1/evaluation/metrics/sinkhorn"))
          .header("Content-Type", "application/json").header("Accept", accept)
          .POST(HttpRequest.BodyPublishers.ofString(sinkhorn)).build());
      assertProblem(reply, "Accept", "is not a list of media types");
    }
  }

  @Test
  void requestsAboveTheSizeLimitAre413NamingTheSetting() {
    byte[] tooLarge = new byte[LIMIT + 8];
    MetricsTestSupport.Reply declared = rest.postBinary("/divergences", query("kl", 1, 1, "float64"), tooLarge);
    assertThat(declared.status()).isEqualTo(413);
    assertThat(declared.contentType()).startsWith("application/problem+json");
    assertThat(declared.body().get("detail").asString()).contains("divergence.evaluation.metrics.max-request-bytes = " + LIMIT);
    assertThat(declared.body().at("/errors/0/field").asString()).isEqualTo("body");
    // a body sent without Content-Length (chunked) is cut off at the limit too
    MetricsTestSupport.Reply chunked = rest.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/evaluation/metrics/divergences?divergence=kl&shape=1,1&dtype=float64"))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge))).build());
    assertThat(chunked.status()).isEqualTo(413);
    assertThat(chunked.body().get("setting").asString()).isEqualTo("divergence.evaluation.metrics.max-request-bytes");
    // a chunked body within the limit is served
    MetricsTestSupport.Reply small = rest.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/evaluation/metrics/divergences?divergence=kl&shape=3,3&dtype=float64"))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(littleEndian(false, P, Q)))).build());
    assertThat(small.status()).as(String.valueOf(small.body())).isEqualTo(200);
    // gRPC enforces the same limit on the message
    double[][] big = new double[1][LIMIT / 8 + 16];
    java.util.Arrays.fill(big[0], 1.0 / big[0].length);
    assertThatThrownBy(() -> stub.divergences(grpcRequest("kl", float64(big), float64(big)).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
  }
}
