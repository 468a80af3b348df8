package dev.divergence.merging.fuzz;

import dev.divergence.proto.merging.v1.ExportMergeRequest;
import dev.divergence.merging.models.TestModelRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.fuzz.DatabaseSnapshot;
import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import dev.divergence.proto.merging.v1.CancelExperimentRequest;
import dev.divergence.proto.merging.v1.CreateExperimentRequest;
import dev.divergence.proto.merging.v1.CreateMergeRequest;
import dev.divergence.proto.merging.v1.ExperimentSpec;
import dev.divergence.proto.merging.v1.ExperimentSplit;
import dev.divergence.proto.merging.v1.ExperimentState;
import dev.divergence.proto.merging.v1.GetExperimentRequest;
import dev.divergence.proto.merging.v1.ListExperimentsRequest;
import dev.divergence.proto.merging.v1.WatchExperimentRequest;
import dev.divergence.proto.merging.v1.EvaluateRequest;
import dev.divergence.proto.merging.v1.GetMergeRequest;
import dev.divergence.proto.merging.v1.InputRow;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.merging.v1.PredictRequest;
import dev.divergence.proto.merging.v1.SweepWiseFtRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Fuzzes the merging service's public APIs (REST from its OpenAPI document, gRPC from its proto
 * descriptors): no request may be answered with a server error, every 400 must be problem+json naming
 * a field, and no rejected request may change a row of the service's tables. Accepted requests are
 * harmless: a merge row, a prediction / evaluation of a few rows with the small built-in digits pair, or
 * an experiment that stays QUEUED (test contexts run no experiment workers) and may be cancelled.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40"})
class MergingApiFuzzIT {

  /** Models other than the built-ins are looked up in a model registry: unknown names are 400, not 503 (registry out of reach). */
  @DynamicPropertySource
  static void modelRegistry(DynamicPropertyRegistry properties) {
    properties.add("divergence.clients.training.target", () -> TestModelRegistry.shared().target());
  }


  private static final String ROW = row();
  private static final String CREATE = """
      {"generalist":"digits-cnn-generalist","expert":"digits-cnn-expert","method":"t3",
       "parameters":{"gamma":2.0,"lambda_min":0.0,"lambda_max":1.0,"log_base":"nats","lambda_weights":"generalist"}}""";
  private static final String CREATE_BATCH = """
      {"generalist":"digits-cnn-generalist","expert":"digits-cnn-expert","method":"t3_batch","parameters":{"average":"js"}}""";
  private static final String PREDICT = "{\"inputs\":[" + ROW + "," + ROW + "]}";
  private static final String EVALUATE = "{\"inputs\":[" + ROW + "," + ROW + "],\"labels\":[0,3],\"batchSize\":1}";
  /** Accepted experiments stay QUEUED: test contexts run no experiment workers (test resources config/application.properties). */
  private static final String EXPERIMENT = "{\"displayName\":\"fuzz\",\"spec\":{\"generalist\":\"digits-cnn-generalist\","
      + "\"expert\":\"digits-cnn-expert\",\"method\":\"t3\",\"parameters\":{\"gamma\":1.0},"
      + "\"methods\":[\"t3\",\"expert\",\"wise_ft_sweep\"],\"splits\":[{\"name\":\"digits\"},"
      + "{\"name\":\"rows\",\"inputs\":[" + ROW + "],\"labels\":[0]}],\"seeds\":2,\"batchSize\":32}}";
  private static final String SWEEP = "{\"generalist\":\"digits-cnn-generalist\",\"expert\":\"digits-cnn-expert\","
      + "\"parameters\":{\"alphas\":[0,0.5,1]},\"inputs\":[" + ROW + "],\"labels\":[1]}";
  /** Volatile on their own schedule: the outbox relay marks rows published after the request was answered. */
  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;

  private DatabaseSnapshot tables() {
    return DatabaseSnapshot.of(dataSource, "merging", BACKGROUND_COLUMNS);
  }

  private List<String> mergeIds() {
    return jdbc.queryForList("SELECT merge_id::text FROM model_merge ORDER BY created_at DESC LIMIT 5", String.class);
  }

  private List<String> experimentIds() {
    return jdbc.queryForList("SELECT id::text FROM merge_experiment ORDER BY created_at DESC LIMIT 5", String.class);
  }

  private String latestExperiment() {
    List<String> ids = experimentIds();
    return ids.isEmpty() ? "00000000-0000-0000-0000-000000000000" : ids.get(0);
  }

  private String latestMerge() {
    List<String> ids = mergeIds();
    return ids.isEmpty() ? "00000000-0000-0000-0000-000000000000" : ids.get(0);
  }

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    RestApiFuzzer.forService("http://localhost:" + port)
        .example("POST", "/api/v1/merging/merges", CREATE)
        .example("POST", "/api/v1/merging/merges", CREATE_BATCH)
        .example("POST", "/api/v1/merging/merges/{mergeId}/predict", PREDICT)
        .example("POST", "/api/v1/merging/merges/{mergeId}/evaluate", EVALUATE)
        .example("POST", "/api/v1/merging/merges/{mergeId}/export", "{\"name\":\"fuzz-export\"}")
        .example("POST", "/api/v1/merging/sweeps/wise-ft", SWEEP)
        .example("POST", "/api/v1/merging/experiments", EXPERIMENT)
        .pathValues("mergeId", this::mergeIds)
        .pathValues("experimentId", this::experimentIds)
        .database(tables())
        .build()
        .run()
        .assertNoFailures();
  }

  @Test
  void grpcApiAnswersEveryMutatedRequestWithoutAServerFaultAndFailedCallsChangeNothing() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      InputRow row = InputRow.newBuilder().addAllValues(java.util.Collections.nCopies(64, 0.25f)).build();
      GrpcApiFuzzer.forChannel(channel)
          .service(MergingServiceGrpc.getServiceDescriptor())
          .example(MergingServiceGrpc.getCreateMergeMethod(), () -> CreateMergeRequest.newBuilder()
              .setGeneralist(TinyAssets.DIGITS_GENERALIST).setExpert(TinyAssets.DIGITS_EXPERT).setMethod("dawin")
              .setParameters(Struct.newBuilder().putFields("offset", Value.newBuilder().setNumberValue(0.1).build())).build())
          .example(MergingServiceGrpc.getGetMergeMethod(), () -> GetMergeRequest.newBuilder().setMergeId(latestMerge()).build())
          .example(MergingServiceGrpc.getPredictMethod(),
              () -> PredictRequest.newBuilder().setMergeId(latestMerge()).addInputs(row).addInputs(row).build())
          .example(MergingServiceGrpc.getEvaluateMethod(),
              () -> EvaluateRequest.newBuilder().setMergeId(latestMerge()).addInputs(row).addLabels(2).setBatchSize(1).build())
          .example(MergingServiceGrpc.getExportMergeMethod(),
              () -> ExportMergeRequest.newBuilder().setMergeId(latestMerge()).setName("fuzz-export").build())
          .example(MergingServiceGrpc.getSweepWiseFtMethod(), () -> SweepWiseFtRequest.newBuilder()
              .setGeneralist(TinyAssets.DIGITS_GENERALIST).setExpert(TinyAssets.DIGITS_EXPERT).addInputs(row).addLabels(0).build())
          .example(MergingServiceGrpc.getCreateExperimentMethod(), () -> CreateExperimentRequest.newBuilder().setIdempotencyKey("fuzz")
              .setSpec(ExperimentSpec.newBuilder().setMergeId(latestMerge()).addMethods("t3").addMethods("ensemble")
                  .addSplits(ExperimentSplit.newBuilder().setName("digits-noise-2")).setSeeds(2)).build())
          .example(MergingServiceGrpc.getGetExperimentMethod(),
              () -> GetExperimentRequest.newBuilder().setExperimentId(latestExperiment()).build())
          .example(MergingServiceGrpc.getListExperimentsMethod(),
              () -> ListExperimentsRequest.newBuilder().setState(ExperimentState.EXPERIMENT_QUEUED).setPageSize(2).build())
          .example(MergingServiceGrpc.getCancelExperimentMethod(),
              () -> CancelExperimentRequest.newBuilder().setExperimentId(latestExperiment()).build())
          .example(MergingServiceGrpc.getWatchExperimentMethod(),
              () -> WatchExperimentRequest.newBuilder().setExperimentId(latestExperiment()).build())
          .database(tables())
          .deadline(30_000)
          .build()
          .run()
          .assertNoFailures();
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String row() {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < 64; i++) {
      s.append(i == 0 ? "" : ",").append((i % 17) / 16.0);
    }
    return s.append("]").toString();
  }
}
