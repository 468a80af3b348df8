package dev.divergence.inference.fuzz;

import dev.divergence.inference.InferenceTestBase;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.fuzz.DatabaseSnapshot;
import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import dev.divergence.proto.inference.v1.ClassifyRequest;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.DecodingStrategy;
import dev.divergence.proto.inference.v1.FeatureVector;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import dev.divergence.proto.inference.v1.GetModelRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.NextTokenDistributionsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsRequest;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fuzzes the inference service's public APIs (REST from its OpenAPI document, gRPC from its proto
 * descriptors) against the embedded model server: no request may be answered with a server error,
 * and no rejected request may change a row of the service's tables.
 *
 * <p>Accepted requests are generations and scores on the small built-in models, bounded by the
 * service's own token limit and the models' context, so they finish in milliseconds. Loading and
 * unloading models is left out: an accepted unload would take the built-in models away from the
 * other integration tests sharing this service context, and a load starts work that outlives the
 * request; both are covered by the model lifecycle tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferenceApiFuzzIT extends InferenceTestBase {

  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");
  private static final List<Float> BREAST_CANCER_ROW = Collections.nCopies(30, 0.5f);

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;
  @Autowired ModelCatalog catalog;
  private ManagedChannel channel;

  @BeforeAll
  void waitForTheModels() throws Exception {
    CatalogWaits.ready(catalog, "tiny-lm");
    CatalogWaits.ready(catalog, "breast-cancer-mlp-student");
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
  }

  @AfterAll
  void closeChannel() {
    channel.shutdownNow();
  }

  private DatabaseSnapshot tables() {
    return DatabaseSnapshot.of(dataSource, "inference", BACKGROUND_COLUMNS);
  }

  /** The defect the fuzzing is for: a NUL in a model name travelled to PostgreSQL, which rejects it. */
  @Test
  void aNulInTheModelNameIsRejectedNamingTheFieldOverRestAndGrpc() throws Exception {
    HttpResponse<String> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/inference/generate"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\\u0000lm\",\"prompt\":\"1+1=\",\"maxTokens\":2}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
    assertThat(rest.body()).contains("\"field\":\"model\"").contains("U+0000");

    HttpResponse<String> path = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://localhost:" + port + "/api/v1/inference/models/tiny%07lm")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(path.statusCode()).as(path.body()).isEqualTo(400);
    assertThat(path.body()).contains("\"field\":\"name\"");

    assertThatThrownBy(() -> ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getModel(GetModelRequest.newBuilder().setName("tiny\u0000lm").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("name");
        });
  }

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    String classify = JsonMapper.builder().build().writeValueAsString(
        Map.of("model", "breast-cancer-mlp-student", "features", List.of(BREAST_CANCER_ROW)));
    RestApiFuzzer.forService("http://localhost:" + port)
        .example("POST", "/api/v1/inference/generate", """
            {"model":"tiny-lm","prompt":"12+7=","maxTokens":8,"strategy":{"name":"greedy"}}""")
        .example("POST", "/api/v1/inference/generate", """
            {"model":"tiny-lm","prompt":"12+7=","context":"12+7=25. ","strategy":{"name":"adacad"},"maxTokens":4,
             "temperature":0.7,"topK":5,"topP":0.9,"seed":3,"stop":["."],"diagnostics":true}""")
        .example("POST", "/api/v1/inference/generate/stream", """
            {"model":"tiny-lm","prompt":"3+4=","maxTokens":4,"strategy":{"name":"cad","alpha":0.5},"context":"3+4=7 "}""")
        .example("POST", "/api/v1/inference/score/continuations", """
            {"model":"tiny-lm","items":[{"prompt":"12+7=","continuation":"19"}]}""")
        .example("POST", "/api/v1/inference/score/next-token", """
            {"model":"tiny-lm","prefixes":["12+7="],"topK":5}""")
        .example("POST", "/api/v1/inference/score/token-distributions", """
            {"model":"tiny-lm","items":[{"prompt":"12+7=","continuation":"19"}],"topK":5}""")
        .example("POST", "/api/v1/inference/score/classify", classify)
        .pathValues("name", () -> List.of("tiny-lm", "breast-cancer-mlp-student"))
        .skip("POST", "/api/v1/inference/models/{name}/load")
        .skip("POST", "/api/v1/inference/models/{name}/unload")
        .database(tables())
        .build()
        .run()
        .assertNoFailures();
  }

  @Test
  void grpcApiAnswersEveryMutatedRequestWithoutAServerFaultAndFailedCallsChangeNothing() {
    GenerateRequest generate = GenerateRequest.newBuilder().setModel("tiny-lm").setPrompt("12+7=").setMaxTokens(8)
        .setStrategy(DecodingStrategy.newBuilder().setName("greedy")).build();
    GenerateRequest contrastive = GenerateRequest.newBuilder().setModel("tiny-lm").setPrompt("12+7=").setContext("12+7=25. ")
        .setMaxTokens(4).setTemperature(0.7).setTopK(5).setTopP(0.9).setSeed(3).addStop(".").setDiagnostics(true)
        .setStrategy(DecodingStrategy.newBuilder().setName("adacad")).build();
    GrpcApiFuzzer.forChannel(channel)
        .service(GenerationServiceGrpc.getServiceDescriptor())
        .service(ScoringServiceGrpc.getServiceDescriptor())
        .service(ModelServiceGrpc.getServiceDescriptor())
        .example(GenerationServiceGrpc.getGenerateMethod(), () -> generate)
        .example(GenerationServiceGrpc.getGenerateMethod(), () -> contrastive)
        .example(GenerationServiceGrpc.getGenerateStreamMethod(), () -> generate)
        .example(ScoringServiceGrpc.getScoreContinuationsMethod(), () -> ScoreContinuationsRequest.newBuilder()
            .setModel("tiny-lm").addItems(ContinuationItem.newBuilder().setPrompt("12+7=").setContinuation("19")).build())
        .example(ScoringServiceGrpc.getNextTokenDistributionsMethod(), () -> NextTokenDistributionsRequest.newBuilder()
            .setModel("tiny-lm").addPrefixes("12+7=").setTopK(5).build())
        .example(ScoringServiceGrpc.getTokenDistributionsMethod(), () -> TokenDistributionsRequest.newBuilder()
            .setModel("tiny-lm").addItems(ContinuationItem.newBuilder().setPrompt("12+7=").setContinuation("19")).setTopK(5).build())
        .example(ScoringServiceGrpc.getClassifyMethod(), () -> ClassifyRequest.newBuilder()
            .setModel("breast-cancer-mlp-student").addFeatures(FeatureVector.newBuilder().addAllValues(BREAST_CANCER_ROW)).build())
        .example(ModelServiceGrpc.getGetModelMethod(), () -> GetModelRequest.newBuilder().setName("tiny-lm").build())
        // see the class comment
        .skip(ModelServiceGrpc.getLoadModelMethod())
        .skip(ModelServiceGrpc.getUnloadModelMethod())
        .database(tables())
        .deadline(20_000)
        .build()
        .run()
        .assertNoFailures();
  }
}
