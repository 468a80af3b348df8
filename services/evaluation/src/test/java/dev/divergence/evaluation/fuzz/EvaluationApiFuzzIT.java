package dev.divergence.evaluation.fuzz;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.proto.evaluation.v1.DivergencesRequest;
import dev.divergence.proto.evaluation.v1.LogitsDivergencesRequest;
import dev.divergence.proto.evaluation.v1.Matrix;
import dev.divergence.proto.evaluation.v1.MetricsServiceGrpc;
import dev.divergence.proto.evaluation.v1.PassAtKRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;
import dev.divergence.platform.test.fuzz.DatabaseSnapshot;
import dev.divergence.platform.test.fuzz.Fuzzing;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Fuzzes the evaluation service's public APIs, REST (from its OpenAPI document, the Metrics API
 * included) and gRPC (MetricsService, from its proto descriptors, mutated from valid examples): no
 * request may be answered with a server error / INTERNAL or UNKNOWN, and no rejected request may change
 * a row of the service's tables. The APIs only read or compute, so no accepted request has an effect
 * either. Same context as MetricsApiIT (Spring caches it).
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.evaluation.metrics.max-request-bytes=4194304"})
class EvaluationApiFuzzIT {

  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    RestApiFuzzer.forService("http://localhost:" + port)
        .pathValues("jobId", () -> jdbc.queryForList(
            "SELECT job_id::text FROM tracked_training_job ORDER BY 1 LIMIT 5", String.class))
        // they score texts through the inference service, absent here: a valid request is 503 by design
        // (ProvenanceBadInputIT covers their bad input, and the 503)
        .skip("POST", "/api/v1/evaluation/provenance/dc-pdd")
        .skip("POST", "/api/v1/evaluation/provenance/zero-shot")
        .database(DatabaseSnapshot.of(dataSource, "evaluation", BACKGROUND_COLUMNS))
        .requests(Fuzzing.requests(1000))
        .build()
        .run()
        .assertNoFailures();
  }

  @Test
  void grpcApiAnswersEveryMutatedRequestWithoutAServerFaultAndChangesNothing() {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      Matrix p = Matrix.newBuilder().setRows(2).setCols(3).addAllFloat64(List.of(0.2, 0.3, 0.5, 0.6, 0.4, 0.0)).build();
      Matrix q = Matrix.newBuilder().setRows(2).setCols(3).addAllFloat64(List.of(0.1, 0.1, 0.8, 0.5, 0.25, 0.25)).build();
      GrpcApiFuzzer.forChannel(channel)
          .service(MetricsServiceGrpc.getServiceDescriptor())
          .example(MetricsServiceGrpc.getDivergencesMethod(), () -> DivergencesRequest.newBuilder()
              .setDivergence("jsd").putParameters("beta", 0.3).setP(p).setQ(q).build())
          .example(MetricsServiceGrpc.getLogitsDivergencesMethod(), () -> LogitsDivergencesRequest.newBuilder()
              .setDivergence("kl").setTeacherLogits(p).setStudentLogits(q).setTemperature(2.0).build())
          .example(MetricsServiceGrpc.getPassAtKMethod(), () -> PassAtKRequest.newBuilder()
              .addN(10).addC(3).addN(5).addC(0).addK(1).addK(5).build())
          .database(DatabaseSnapshot.of(dataSource, "evaluation", BACKGROUND_COLUMNS))
          .requests(Fuzzing.requests(1000))
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
}
