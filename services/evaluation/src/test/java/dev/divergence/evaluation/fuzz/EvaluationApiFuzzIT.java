package dev.divergence.evaluation.fuzz;

import dev.divergence.platform.test.EmbeddedInfrastructure;
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
 * Fuzzes the evaluation service's public REST API (from its OpenAPI document, the Metrics API included;
 * its gRPC MetricsService shares the same checks, covered by MetricsBadInputIT): no request may be
 * answered with a server error, and no rejected request may change a row of the service's tables. The
 * API only reads or computes, so no accepted request has an effect either.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EvaluationApiFuzzIT {

  private static final Set<String> BACKGROUND_COLUMNS = Set.of("published_at", "attempts", "last_error");

  @LocalServerPort int port;
  @Autowired DataSource dataSource;
  @Autowired JdbcTemplate jdbc;

  @Test
  void restApiAnswersEveryMutatedRequestWithoutAServerErrorAndRejectedOnesChangeNothing() throws Exception {
    RestApiFuzzer.forService("http://localhost:" + port)
        .pathValues("jobId", () -> jdbc.queryForList(
            "SELECT job_id::text FROM tracked_training_job ORDER BY 1 LIMIT 5", String.class))
        .database(DatabaseSnapshot.of(dataSource, "evaluation", BACKGROUND_COLUMNS))
        .requests(Fuzzing.requests(1000))
        .build()
        .run()
        .assertNoFailures();
  }
}
