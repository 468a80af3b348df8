package dev.divergence.evaluation.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.evaluation.v1.DcPddRequest;
import dev.divergence.proto.evaluation.v1.ProvenanceServiceGrpc;
import dev.divergence.proto.evaluation.v1.ZeroShotRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collections;
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
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The provenance API through the real service (REST and gRPC, the platform's error mapping) with
 * the inference and training services absent: their address is a port nobody listens on. Bad input
 * is refused before any call, naming the field and the first offending index, identically over both
 * transports; a valid request is 503 problem+json / UNAVAILABLE, never a hang or a 500. The scores
 * against the real inference service are tested end to end in ops/local.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.evaluation.metrics.max-request-bytes=" + ProvenanceBadInputIT.LIMIT})
class ProvenanceBadInputIT {

  /** A small body limit, so that the 413 test stays small. */
  static final int LIMIT = 262144;

  private static final String BASE = "/api/v1/evaluation/provenance";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  private final HttpClient http = HttpClient.newHttpClient();
  private ManagedChannel channel;
  private ProvenanceServiceGrpc.ProvenanceServiceBlockingStub stub;

  @DynamicPropertySource
  static void servicesNowhere(DynamicPropertyRegistry registry) throws IOException {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort();
    }
    int nowhere = unused;
    registry.add("divergence.clients.inference.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.training.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.inference.deadline", () -> "3s");
    registry.add("divergence.clients.training.deadline", () -> "3s");
    registry.add("divergence.evaluation.runs.workers", () -> "0");
    registry.add("divergence.evaluation.runs.automatic", () -> "false");
  }

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    stub = ProvenanceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    channel.shutdownNow();
  }

  private record Reply(int status, String contentType, JsonNode body) {}

  private Reply post(String path, Object body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + BASE + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
        response.body().isEmpty() ? null : JSON.readTree(response.body()));
  }

  private void assertProblem(String path, Object body, String field, String detail) throws Exception {
    Reply reply = post(path, body);
    assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(400);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.body().at("/errors/0/field").asString()).as(String.valueOf(reply.body())).isEqualTo(field);
    assertThat(reply.body().get("detail").asString()).contains(detail);
  }

  private static void assertInvalid(ThrowingCallable call, String field, String detail) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
      assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo(field);
      assertThat(error.getStatus().getDescription()).contains(field).contains(detail);
    });
  }

  /** A DC-PDD body with explicit counts that passes every check made before calling inference. */
  private static Map<String, Object> dcPdd() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", "tiny-lm");
    body.put("texts", List.of("hello world", "1+2=3"));
    body.put("tokenCounts", new long[] {3, 0, 1, 2});
    body.put("vocabularySize", 4);
    return body;
  }

  private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
    Map<String, Object> changed = new LinkedHashMap<>(body);
    if (value == null) {
      changed.remove(field);
    } else {
      changed.put(field, value);
    }
    return changed;
  }

  private static DcPddRequest.Builder grpcDcPdd() {
    return DcPddRequest.newBuilder().setModel("tiny-lm").addTexts("hello world").addTexts("1+2=3")
        .addAllTokenCounts(List.of(3L, 0L, 1L, 2L)).setVocabularySize(4);
  }

  @Test
  void textsAreCheckedOverBothTransports() throws Exception {
    assertProblem("/dc-pdd", with(dcPdd(), "model", null), "model", "is required");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().clearModel().build()), "model", "is required");
    assertProblem("/dc-pdd", with(dcPdd(), "texts", List.of()), "texts", "must not be empty");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().clearTexts().build()), "texts", "must not be empty");
    assertProblem("/dc-pdd", with(dcPdd(), "texts", List.of("ab", "cd", "")), "texts[2]", "must not be empty");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().addTexts("").build()), "texts[2]", "must not be empty");
    assertProblem("/zero-shot", Map.of("model", "tiny-lm", "texts", List.of("ab", "c")), "texts[1]",
        "at least 2 characters");
    assertInvalid(() -> stub.zeroShot(ZeroShotRequest.newBuilder().setModel("tiny-lm").addTexts("ab").addTexts("c").build()),
        "texts[1]", "at least 2 characters");
    List<String> seventeen = Collections.nCopies(17, "ab");
    assertProblem("/zero-shot", Map.of("model", "tiny-lm", "texts", seventeen), "texts", "at most 16 texts");
    assertInvalid(() -> stub.zeroShot(ZeroShotRequest.newBuilder().setModel("tiny-lm").addAllTexts(seventeen).build()),
        "texts", "at most 16 texts");
    String tooLong = "a".repeat(513);
    assertProblem("/dc-pdd", with(dcPdd(), "texts", List.of("ab", tooLong)), "texts[1]", "more than 512");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().addTexts(tooLong).build()), "texts[2]", "more than 512");
  }

  @Test
  void parametersAreCheckedOverBothTransports() throws Exception {
    assertProblem("/dc-pdd", with(dcPdd(), "a", 0), "a", "must be a finite number > 0");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().setA(-1).build()), "a", "must be a finite number > 0");
    assertProblem("/zero-shot", Map.of("model", "tiny-lm", "texts", List.of("ab"), "delta", 1.5), "delta",
        "must be in (0, 1)");
    assertInvalid(() -> stub.zeroShot(ZeroShotRequest.newBuilder().setModel("tiny-lm").addTexts("ab").setDelta(0).build()),
        "delta", "must be in (0, 1)");
    assertProblem("/zero-shot", Map.of("model", "tiny-lm", "texts", List.of("ab"), "delta", "often"), "delta", "delta");
    assertProblem("/dc-pdd", with(dcPdd(), "refrenceTexts", List.of("x")), "refrenceTexts", "refrenceTexts");
  }

  @Test
  void theReferenceIsCheckedOverBothTransports() throws Exception {
    Map<String, Object> none = with(with(dcPdd(), "tokenCounts", null), "vocabularySize", null);
    assertProblem("/dc-pdd", none, "referenceTexts", "reference corpus is required");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().clearTokenCounts().clearVocabularySize().build()), "referenceTexts",
        "reference corpus is required");
    assertProblem("/dc-pdd", with(dcPdd(), "referenceDataset", "tiny-corpus"), "tokenCounts", "only one reference");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().setReferenceDataset("tiny-corpus").build()), "tokenCounts",
        "only one reference");
    assertProblem("/dc-pdd", with(dcPdd(), "vocabularySize", 5), "tokenCounts", "has 4 counts but vocabularySize is 5");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().setVocabularySize(5).build()), "tokenCounts",
        "has 4 counts but vocabularySize is 5");
    assertProblem("/dc-pdd", with(dcPdd(), "tokenCounts", new long[] {3, 0, -1, -2}), "tokenCounts[2]",
        "must not be negative");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().setTokenCounts(2, -1).setTokenCounts(3, -2).build()), "tokenCounts[2]",
        "must not be negative");
    Map<String, Object> texts = with(none, "referenceTexts", List.of("abc", ""));
    assertProblem("/dc-pdd", texts, "referenceTexts[1]", "must not be empty");
    assertInvalid(() -> stub.dcPdd(grpcDcPdd().clearTokenCounts().clearVocabularySize().addReferenceTexts("abc")
        .addReferenceTexts("").build()), "referenceTexts[1]", "must not be empty");
  }

  @Test
  void aBodyOverTheLimitIs413BeforeParsing() throws Exception {
    Map<String, Object> big = with(dcPdd(), "tokenCounts", new long[LIMIT / 2]);
    Reply reply = post("/dc-pdd", big);
    assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(413);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.body().get("setting").asString()).isEqualTo("divergence.evaluation.metrics.max-request-bytes");
    assertThat(reply.body().get("limit").asLong()).isEqualTo(LIMIT);
  }

  @Test
  void aValidRequestWhileInferenceIsAbsentIsUnavailable() throws Exception {
    for (Map.Entry<String, Object> request : Map.<String, Object>of(
        "/dc-pdd", dcPdd(),
        "/zero-shot", Map.of("model", "tiny-lm", "texts", List.of("hello world"), "delta", 0.05)).entrySet()) {
      Reply reply = post(request.getKey(), request.getValue());
      assertThat(reply.status()).as(String.valueOf(reply.body())).isEqualTo(503);
      assertThat(reply.contentType()).startsWith("application/problem+json");
      assertThat(reply.body().get("detail").asString()).contains("tiny-lm").contains("unavailable");
    }
    assertThatThrownBy(() -> stub.dcPdd(grpcDcPdd().build())).isInstanceOfSatisfying(StatusRuntimeException.class,
        error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThatThrownBy(() -> stub.zeroShot(ZeroShotRequest.newBuilder().setModel("tiny-lm").addTexts("hello").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }
}
