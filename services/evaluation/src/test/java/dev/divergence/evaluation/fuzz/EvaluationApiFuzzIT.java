package dev.divergence.evaluation.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunProgress;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.fuzz.DatabaseSnapshot;
import dev.divergence.platform.test.fuzz.FuzzReport;
import dev.divergence.platform.test.fuzz.Fuzzing;
import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import dev.divergence.proto.evaluation.v1.AnalysisServiceGrpc;
import dev.divergence.proto.evaluation.v1.CancelRunRequest;
import dev.divergence.proto.evaluation.v1.CompareRunsRequest;
import dev.divergence.proto.evaluation.v1.CreateRunRequest;
import dev.divergence.proto.evaluation.v1.DcPddRequest;
import dev.divergence.proto.evaluation.v1.DivergencesRequest;
import dev.divergence.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.divergence.proto.evaluation.v1.GetFrontierRequest;
import dev.divergence.proto.evaluation.v1.GetRunRequest;
import dev.divergence.proto.evaluation.v1.ListRunsRequest;
import dev.divergence.proto.evaluation.v1.LogitsDivergencesRequest;
import dev.divergence.proto.evaluation.v1.Matrix;
import dev.divergence.proto.evaluation.v1.MetricsServiceGrpc;
import dev.divergence.proto.evaluation.v1.PassAtKRequest;
import dev.divergence.proto.evaluation.v1.PromptSource;
import dev.divergence.proto.evaluation.v1.ProvenanceServiceGrpc;
import dev.divergence.proto.evaluation.v1.RunSpec.Builder;
import dev.divergence.proto.evaluation.v1.SamplingSettings;
import dev.divergence.proto.evaluation.v1.WatchRunRequest;
import dev.divergence.proto.evaluation.v1.ZeroShotRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Fuzzes the evaluation service's public APIs, REST (from its OpenAPI document) and gRPC (from its
 * proto descriptors, mutated from valid examples): the Metrics API, evaluation runs, frontier and
 * comparison, and provenance. No request may be answered with a server error / INTERNAL or UNKNOWN, a
 * 400 must be problem+json naming the field and an INVALID_ARGUMENT carry the trailer naming it, and no
 * rejected request may change a row of the service's tables.
 *
 * <p>The inference and training services are absent (their targets are a closed port, tried once):
 * a valid provenance request is answered 503 / UNAVAILABLE by design, so those operations are
 * declared unavailable to the REST fuzzer; over gRPC UNAVAILABLE is no server fault, and the tests
 * check that only the provenance methods answered it. Run creation accepts a run whose model it cannot
 * check (docs/evaluation.md), and with no workers an accepted run stays QUEUED, so nothing runs in the
 * background while the tables are watched. The frontier and comparison read SUCCEEDED runs stored
 * through the repository as a worker stores them, in the default tenant the fuzzers' requests use.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.evaluation.metrics.max-request-bytes=4194304"})
class EvaluationApiFuzzIT {

  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");
  private static final String TENANT = TenantContext.DEFAULT_TENANT;
  private static final String RUN_IDS = "SELECT id::text FROM evaluation_run WHERE tenant = 'default' "
      + "ORDER BY created_at DESC LIMIT 20";

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;
  @Autowired RunRepository runs;
  @Autowired TrackedTrainingJobRepository jobs;

  /** Two SUCCEEDED f-DPO runs of the default tenant that the frontier and the comparison can read. */
  private UUID first;
  private UUID second;

  @DynamicPropertySource
  static void inferenceAndTrainingAbsent(DynamicPropertyRegistry registry) throws Exception {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort();
    }
    int nowhere = unused;
    for (String client : List.of("inference", "training")) {
      registry.add("divergence.clients." + client + ".target", () -> "localhost:" + nowhere);
      registry.add("divergence.clients." + client + ".deadline", () -> "3s");
      // a closed port answers at once; retrying it would only slow every valid provenance request down
      registry.add("divergence.clients." + client + ".max-attempts", () -> "1");
    }
    registry.add("divergence.evaluation.runs.workers", () -> "0");
    registry.add("divergence.evaluation.runs.automatic", () -> "false");
  }

  @BeforeEach
  void storeSucceededRuns() {
    UUID job = UUID.randomUUID();
    Instant now = Instant.now();
    jobs.applyEvent(new TrackedTrainingJob(job, TENANT, "f_dpo", "reverse_kl", "tiny-lm", "prefs", "SUCCEEDED", now, now, 0));
    first = succeeded(job, "policy-a", 0.6, 0.2, 3.0);
    second = succeeded(job, "policy-b", 0.7, 0.3, 3.5);
  }

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    String runSpec = """
        {"model":"tiny-lm","suites":["rewards","diversity"],"prompts":{"builtIn":"arithmetic","limit":4,"seed":3},
         "sampling":{"samples":4,"temperature":1.0,"maxTokens":8,"seed":1},"passAtK":[1,2],"confidenceLevel":0.9}""";
    FuzzReport report = RestApiFuzzer.forService("http://localhost:" + port)
        .pathValues("jobId", () -> jdbc.queryForList(
            "SELECT job_id::text FROM tracked_training_job ORDER BY 1 LIMIT 5", String.class))
        .pathValues("runId", () -> jdbc.queryForList(RUN_IDS, String.class))
        .pathValues("a", () -> List.of(first.toString()))
        .pathValues("b", () -> List.of(second.toString()))
        .pathValues("algorithm", () -> List.of("f_dpo"))
        .example("POST", "/api/v1/evaluation/runs", "{\"displayName\":\"fuzz\",\"spec\":" + runSpec + "}")
        .example("POST", "/api/v1/evaluation/runs", "{\"idempotencyKey\":\"fuzz-once\",\"spec\":" + runSpec + "}")
        .example("POST", "/api/v1/evaluation/frontier", "{\"runIds\":[\"" + first + "\",\"" + second
            + "\"],\"reward\":\"pass@1\",\"divergence\":\"reverse_kl\",\"divergenceSource\":\"samples\",\"diversity\":\"vendi\"}")
        .example("POST", "/api/v1/evaluation/frontier", "{\"algorithm\":\"f_dpo\"}")
        // they score texts through the inference service, absent here: a valid request is 503 by design
        .unavailable("POST", "/api/v1/evaluation/provenance/dc-pdd")
        .unavailable("POST", "/api/v1/evaluation/provenance/zero-shot")
        .example("POST", "/api/v1/evaluation/provenance/dc-pdd",
            "{\"model\":\"tiny-lm\",\"texts\":[\"12+30=42\",\"hello world\"],\"referenceTexts\":[\"1+1=2 2+2=4\"],\"a\":0.05}")
        .example("POST", "/api/v1/evaluation/provenance/dc-pdd",
            "{\"model\":\"tiny-lm\",\"texts\":[\"12+30=42\"],\"tokenCounts\":[3,0,5,1],\"vocabularySize\":4}")
        .example("POST", "/api/v1/evaluation/provenance/zero-shot",
            "{\"model\":\"tiny-lm\",\"texts\":[\"12+30=42\",\"hello world\"],\"delta\":0.05}")
        .database(DatabaseSnapshot.of(dataSource, "evaluation", BACKGROUND_COLUMNS))
        .requests(Fuzzing.requests(1500))
        .build()
        .run();
    report.assertNoFailures();
    // the valid examples got through: runs are created and read, frontier and comparison answered,
    // provenance reached the (absent) inference service
    assertThat(report.outcomes()).containsKeys(
        "POST /api/v1/evaluation/runs 201",
        "GET /api/v1/evaluation/runs/{runId} 200",
        "POST /api/v1/evaluation/frontier 200",
        "GET /api/v1/evaluation/comparison 200",
        "POST /api/v1/evaluation/provenance/dc-pdd 503",
        "POST /api/v1/evaluation/provenance/zero-shot 503");
  }

  @Test
  void grpcApiAnswersEveryMutatedRequestWithoutAServerFaultAndRejectedOnesChangeNothing() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      Matrix p = Matrix.newBuilder().setRows(2).setCols(3).addAllFloat64(List.of(0.2, 0.3, 0.5, 0.6, 0.4, 0.0)).build();
      Matrix q = Matrix.newBuilder().setRows(2).setCols(3).addAllFloat64(List.of(0.1, 0.1, 0.8, 0.5, 0.25, 0.25)).build();
      Supplier<Builder> spec = () -> dev.divergence.proto.evaluation.v1.RunSpec.newBuilder()
          .setModel("tiny-lm").addSuites("rewards").addSuites("diversity")
          .setPrompts(PromptSource.newBuilder().setBuiltIn("arithmetic").setLimit(4).setSeed(3))
          .setSampling(SamplingSettings.newBuilder().setSamples(4).setTemperature(1.0).setMaxTokens(8).setSeed(1))
          .addPassAtK(1).addPassAtK(2);
      Random pick = new Random(Fuzzing.seed());
      Supplier<String> someRun = () -> {
        List<String> ids = jdbc.queryForList(RUN_IDS, String.class);
        return ids.get(pick.nextInt(ids.size()));
      };
      FuzzReport report = GrpcApiFuzzer.forChannel(channel)
          .service(MetricsServiceGrpc.getServiceDescriptor())
          .service(EvaluationServiceGrpc.getServiceDescriptor())
          .service(AnalysisServiceGrpc.getServiceDescriptor())
          .service(ProvenanceServiceGrpc.getServiceDescriptor())
          .example(MetricsServiceGrpc.getDivergencesMethod(), () -> DivergencesRequest.newBuilder()
              .setDivergence("jsd").putParameters("beta", 0.3).setP(p).setQ(q).build())
          .example(MetricsServiceGrpc.getLogitsDivergencesMethod(), () -> LogitsDivergencesRequest.newBuilder()
              .setDivergence("kl").setTeacherLogits(p).setStudentLogits(q).setTemperature(2.0).build())
          .example(MetricsServiceGrpc.getPassAtKMethod(), () -> PassAtKRequest.newBuilder()
              .addN(10).addC(3).addN(5).addC(0).addK(1).addK(5).build())
          .example(EvaluationServiceGrpc.getCreateRunMethod(), () -> CreateRunRequest.newBuilder()
              .setDisplayName("fuzz").setSpec(spec.get()).build())
          .example(EvaluationServiceGrpc.getCreateRunMethod(), () -> CreateRunRequest.newBuilder()
              .setIdempotencyKey("fuzz-grpc-once").setSpec(spec.get().setConfidenceLevel(0.9)).build())
          .example(EvaluationServiceGrpc.getGetRunMethod(), () -> GetRunRequest.newBuilder().setRunId(someRun.get()).build())
          .example(EvaluationServiceGrpc.getCancelRunMethod(), () -> CancelRunRequest.newBuilder().setRunId(someRun.get()).build())
          .example(EvaluationServiceGrpc.getWatchRunMethod(), () -> WatchRunRequest.newBuilder().setRunId(someRun.get()).build())
          .example(EvaluationServiceGrpc.getListRunsMethod(), () -> ListRunsRequest.newBuilder()
              .setModel("tiny-lm").setTrigger("user").setPageSize(5).build())
          .example(AnalysisServiceGrpc.getGetFrontierMethod(), () -> GetFrontierRequest.newBuilder()
              .addRunIds(first.toString()).addRunIds(second.toString()).setReward("pass@1").setDiversity("vendi").build())
          .example(AnalysisServiceGrpc.getGetFrontierMethod(), () -> GetFrontierRequest.newBuilder()
              .setAlgorithm("f_dpo").setDivergence("reverse_kl").setDivergenceSource("samples").build())
          .example(AnalysisServiceGrpc.getCompareRunsMethod(), () -> CompareRunsRequest.newBuilder()
              .setA(first.toString()).setB(second.toString()).setLevel(0.9).build())
          // valid requests are UNAVAILABLE here: they need the inference service
          .example(ProvenanceServiceGrpc.getDcPddMethod(), () -> DcPddRequest.newBuilder()
              .setModel("tiny-lm").addTexts("12+30=42").addTexts("hello world").addReferenceTexts("1+1=2 2+2=4")
              .setA(0.05).build())
          .example(ProvenanceServiceGrpc.getDcPddMethod(), () -> DcPddRequest.newBuilder()
              .setModel("tiny-lm").addTexts("12+30=42").addAllTokenCounts(List.of(3L, 0L, 5L, 1L)).setVocabularySize(4).build())
          .example(ProvenanceServiceGrpc.getZeroShotMethod(), () -> ZeroShotRequest.newBuilder()
              .setModel("tiny-lm").addTexts("12+30=42").addTexts("hello world").setDelta(0.05).build())
          .badRequests("the trailer naming the field",
              (status, trailers) -> trailers.get(GrpcStatusMapper.INVALID_FIELDS) != null)
          .database(DatabaseSnapshot.of(dataSource, "evaluation", BACKGROUND_COLUMNS))
          .requests(Fuzzing.requests(1500))
          .deadline(30_000)
          .build()
          .run();
      report.assertNoFailures();
      // UNAVAILABLE is no server fault to the fuzzer; here only the methods that need inference may answer it
      assertThat(report.outcomes().keySet()).filteredOn(outcome -> outcome.endsWith(" UNAVAILABLE"))
          .allMatch(outcome -> outcome.startsWith("DcPdd ") || outcome.startsWith("ZeroShot "));
      assertThat(report.outcomes()).containsKeys("CreateRun OK", "GetRun OK", "CancelRun OK", "WatchRun OK",
          "ListRuns OK", "GetFrontier OK", "CompareRuns OK", "DcPdd UNAVAILABLE", "ZeroShot UNAVAILABLE");
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- stored runs -------------------------------------------------------------------------------

  /** Stored as a worker stores a run: inserted RUNNING (no worker claims one here), then finished with results. */
  private UUID succeeded(UUID job, String model, double reward, double reverseKl, double vendi) {
    UUID id = UUID.randomUUID();
    Instant created = Instant.now();
    RunSpec spec = new RunSpec(model, "tiny-lm", List.of("rewards", "model_divergence", "diversity"),
        new RunSpec.PromptSource("arithmetic", null, null, null, 64, 0L), new RunSpec.Sampling(8, 1.0, 0, 1.0, 16, 0L),
        List.of("reverse_kl"), List.of(1, 2, 4, 8), null, 0.95, 15);
    EvaluationRun run = new EvaluationRun(id, TENANT, model + " eval", null, spec, RunState.RUNNING,
        EvaluationRun.Trigger.USER, null, job.toString(), RunProgress.NONE, null, null, List.of(), 0, created, null, null, created);
    assertThat(runs.insert(run)).isTrue();
    List<SuiteResult> results = List.of(
        new SuiteResult("rewards", Map.of("reward", estimate(reward), "pass@1", estimate(reward)), Map.of()),
        new SuiteResult("model_divergence", Map.of("samples.reverse_kl", estimate(reverseKl)), Map.of()),
        new SuiteResult("diversity", Map.of("vendi", estimate(vendi)), Map.of()));
    assertThat(runs.finish(id, RunState.SUCCEEDED, null, null, results, created.plusSeconds(60))).isTrue();
    return id;
  }

  private static Estimate estimate(double mean) {
    return new Estimate(mean, mean - 0.1, mean + 0.1, 64);
  }
}
