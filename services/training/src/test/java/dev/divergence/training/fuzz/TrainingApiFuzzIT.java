package dev.divergence.training.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.fuzz.DatabaseSnapshot;
import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import dev.divergence.proto.training.v1.Budget;
import dev.divergence.proto.training.v1.CancelJobRequest;
import dev.divergence.proto.training.v1.DatasetServiceGrpc;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.DivergenceChoice;
import dev.divergence.proto.training.v1.FDpgFeature;
import dev.divergence.proto.training.v1.FDpgSpec;
import dev.divergence.proto.training.v1.FDpoSpec;
import dev.divergence.proto.training.v1.RlvrEvaluation;
import dev.divergence.proto.training.v1.RlvrRegulariser;
import dev.divergence.proto.training.v1.RlvrSpec;
import dev.divergence.proto.training.v1.GetDatasetRequest;
import dev.divergence.proto.training.v1.GetJobLogsRequest;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.ListJobsRequest;
import dev.divergence.proto.training.v1.ReadDatasetRecordsRequest;
import dev.divergence.proto.training.v1.RetryJobRequest;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.training.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * Fuzzes the training service's public APIs (REST from its OpenAPI document, gRPC from its proto
 * descriptors): no request may be answered with a server error, and no rejected request may change a
 * row of the service's tables.
 *
 * <p>Accepted requests stay harmless because the service runs with no training workers
 * ({@code divergence.training.workers=0}): a submitted job stays QUEUED, a retried or cancelled one
 * only changes its row, nothing trains. Most requests are mutated into invalid ones anyway.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class TrainingApiFuzzIT {

  private static final String DISTILLATION = """
      {"displayName":"kd run","spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":100},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"},"temperature":2.0}}}""";
  private static final String FDPO = """
      {"displayName":"fdpo","idempotencyKey":"k1","spec":{"algorithm":"f_dpo","model":"tiny-lm","dataset":"arithmetic-preferences",
       "budget":{"maxSteps":50},"fDpo":{"referenceModel":"tiny-lm","beta":0.1,"divergence":{"name":"js"}}}}""";
  private static final String FDPG = """
      {"displayName":"fdpg","spec":{"algorithm":"f_dpg","model":"tiny-lm","dataset":"arithmetic","budget":{"maxSteps":20},
       "fDpg":{"divergence":{"name":"alpha","alpha":0.3},"moments":{"features":[{"name":"contains","text":"7"},
       {"name":"regex","regex":"^[0-9]+"}],"means":[0.5,0.4]},"samplesPerStep":16,"proposal":"offline"}}}""";
  private static final String RLVR = """
      {"displayName":"rlvr","spec":{"algorithm":"rlvr","model":"tiny-lm","dataset":"arithmetic","budget":{"maxSteps":20},
       "rlvr":{"groupSize":4,"promptsPerStep":2,"clipEpsilonHigh":0.28,"updatesPerBatch":2,
       "regulariser":{"kind":"rehearsal","divergence":"alpha","alpha":0.2,"coefficient":0.05,"referenceSamples":4},
       "evaluation":{"prompts":8,"samples":4,"k":4,"every":5}}}}""";
  /** Volatile on their own schedule: the outbox relay marks rows published after the request was answered. */
  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;

  private DatabaseSnapshot tables() {
    return DatabaseSnapshot.of(dataSource, "training", BACKGROUND_COLUMNS);
  }

  private List<String> jobIds() {
    return jdbc.queryForList("SELECT job_id::text FROM training_job ORDER BY created_at DESC LIMIT 5", String.class);
  }

  /** The defect the fuzzing is for: PostgreSQL rejects U+0000 in TEXT, and the caller used to get a 500. */
  @Test
  void aNulInTheDisplayNameIsRejectedNamingTheFieldOverRestAndGrpc() throws Exception {
    Long jobsBefore = jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class);
    HttpResponse<String> rest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/training/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(DISTILLATION.replace("\"kd run\"", "\"kd\\u0000run\""))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
    assertThat(rest.body()).contains("\"field\":\"displayName\"").contains("U+0000");

    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      SubmitJobRequest request = SubmitJobRequest.newBuilder().setDisplayName("kd\u0000run").setSpec(JobSpec.newBuilder()
          .setAlgorithm("distillation").setModel("breast-cancer-mlp-student").setDataset("breast-cancer")
          .setBudget(Budget.newBuilder().setMaxSteps(100))
          .setDistillation(DistillationSpec.newBuilder().setTeacherModel("breast-cancer-mlp-teacher\u0000")
              .setDivergence(DivergenceChoice.newBuilder().setName("reverse_kl")))).build();
      assertThatThrownBy(() -> TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .submitJob(request))
          .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
            assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS))
                .isEqualTo("displayName,spec.distillation.teacherModel");
          });
    } finally {
      channel.shutdownNow();
    }
    assertThat(jdbc.queryForObject("SELECT count(*) FROM training_job", Long.class)).isEqualTo(jobsBefore);
  }

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    RestApiFuzzer.forService("http://localhost:" + port)
        .example("POST", "/api/v1/training/jobs", DISTILLATION)
        .example("POST", "/api/v1/training/jobs", FDPO)
        .example("POST", "/api/v1/training/jobs", FDPG)
        .example("POST", "/api/v1/training/jobs", RLVR)
        .example("POST", "/api/v1/training/jobs/{jobId}/retry", "{\"budget\":{\"maxSteps\":10}}")
        .example("POST", "/api/v1/training/models", "{\"name\":\"imported\",\"path\":\"/does/not/exist\"}")
        .pathValues("jobId", this::jobIds)
        .pathValues("reference", () -> List.of("breast-cancer-mlp-student", "tiny-lm", "tiny-lm:1"))
        .pathValues("name", () -> List.of("breast-cancer", "arithmetic", "digits"))
        .database(tables())
        .build()
        .run()
        .assertNoFailures();
  }

  @Test
  void grpcApiAnswersEveryMutatedRequestWithoutAServerFaultAndFailedCallsChangeNothing() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      JobSpec fdpo = JobSpec.newBuilder().setAlgorithm("f_dpo").setModel("tiny-lm").setDataset("arithmetic-preferences")
          .setBudget(Budget.newBuilder().setMaxSteps(50))
          .setFDpo(FDpoSpec.newBuilder().setReferenceModel("tiny-lm").setBeta(0.1)
              .setDivergence(DivergenceChoice.newBuilder().setName("js")))
          .build();
      JobSpec fDpg = JobSpec.newBuilder().setAlgorithm("f_dpg").setModel("tiny-lm").setDataset("arithmetic")
          .setBudget(Budget.newBuilder().setMaxSteps(20))
          .setFDpg(FDpgSpec.newBuilder().setProposal("offline").setSamplesPerStep(16)
              .setConstraint(FDpgFeature.newBuilder().setName("regex").setRegex("^[0-9]+=")))
          .build();
      JobSpec rlvr = JobSpec.newBuilder().setAlgorithm("rlvr").setModel("tiny-lm").setDataset("arithmetic")
          .setBudget(Budget.newBuilder().setMaxSteps(20))
          .setRlvr(RlvrSpec.newBuilder().setGroupSize(4).setUpdatesPerBatch(2)
              .setRegulariser(RlvrRegulariser.newBuilder().setKind("kl").setEstimator("k2").setCoefficient(0.1))
              .setEvaluation(RlvrEvaluation.newBuilder().setSamples(4).setK(2)))
          .build();
      JobSpec distillation = JobSpec.newBuilder().setAlgorithm("distillation").setModel("breast-cancer-mlp-student")
          .setDataset("breast-cancer").setBudget(Budget.newBuilder().setMaxSteps(100))
          .setDistillation(DistillationSpec.newBuilder().setTeacherModel("breast-cancer-mlp-teacher")
              .setDivergence(DivergenceChoice.newBuilder().setName("reverse_kl")))
          .build();
      GrpcApiFuzzer.forChannel(channel)
          .service(TrainingServiceGrpc.getServiceDescriptor())
          .example(TrainingServiceGrpc.getSubmitJobMethod(),
              () -> SubmitJobRequest.newBuilder().setDisplayName("fdpo js").setSpec(fdpo).build())
          .example(TrainingServiceGrpc.getSubmitJobMethod(),
              () -> SubmitJobRequest.newBuilder().setDisplayName("kd").setSpec(distillation).build())
          .example(TrainingServiceGrpc.getSubmitJobMethod(),
              () -> SubmitJobRequest.newBuilder().setDisplayName("fdpg").setSpec(fDpg).build())
          .example(TrainingServiceGrpc.getSubmitJobMethod(),
              () -> SubmitJobRequest.newBuilder().setDisplayName("rlvr").setSpec(rlvr).build())
          .example(TrainingServiceGrpc.getGetJobMethod(), () -> GetJobRequest.newBuilder().setJobId(latestJob()).build())
          .example(TrainingServiceGrpc.getCancelJobMethod(), () -> CancelJobRequest.newBuilder().setJobId(latestJob()).build())
          .example(TrainingServiceGrpc.getRetryJobMethod(), () -> RetryJobRequest.newBuilder().setJobId(latestJob())
              .setBudget(Budget.newBuilder().setMaxSteps(10)).build())
          .example(TrainingServiceGrpc.getWatchJobMethod(), () -> WatchJobRequest.newBuilder().setJobId(latestJob()).build())
          .example(TrainingServiceGrpc.getGetJobMetricsMethod(),
              () -> GetJobMetricsRequest.newBuilder().setJobId(latestJob()).addNames("loss").build())
          .example(TrainingServiceGrpc.getGetJobLogsMethod(),
              () -> GetJobLogsRequest.newBuilder().setJobId(latestJob()).setLimit(10).build())
          .example(TrainingServiceGrpc.getListJobsMethod(), () -> ListJobsRequest.newBuilder().setPageSize(5).build())
          .service(DatasetServiceGrpc.getServiceDescriptor())
          .example(DatasetServiceGrpc.getGetDatasetMethod(), () -> GetDatasetRequest.newBuilder().setName("digits").build())
          .example(DatasetServiceGrpc.getReadDatasetRecordsMethod(), () -> ReadDatasetRecordsRequest.newBuilder()
              .setName("breast-cancer").setSplit("test").setOffset(10).setLimit(20).build())
          .example(DatasetServiceGrpc.getReadDatasetRecordsMethod(), () -> ReadDatasetRecordsRequest.newBuilder()
              .setName("arithmetic").setSplit("train").build())
          .database(tables())
          .deadline(10_000)
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

  private String latestJob() {
    List<String> ids = jobIds();
    return ids.isEmpty() ? "00000000-0000-0000-0000-000000000000" : ids.get(0);
  }
}
