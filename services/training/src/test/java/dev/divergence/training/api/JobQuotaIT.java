package dev.divergence.training.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The per-tenant quota on active jobs (the test configuration gives the tenant quota-test 2): the
 * submissions past it are 429 problem+json and store nothing, however many arrive at once; an
 * idempotent resubmission still answers; a cancelled job frees its place; other tenants are not held up.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.training.workers=0"})
class JobQuotaIT {

  private static final String TENANT = "quota-test";
  private static final String SPEC = """
      {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":100},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"}}}""";

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;

  @Test
  void submissionsPastTheTenantsQuotaAre429EvenWhenTheyArriveTogether() throws Exception {
    jdbc.update("UPDATE training_job SET state = 'CANCELLED' WHERE tenant = ? AND state IN ('QUEUED', 'RUNNING')", TENANT);
    String first = json.readTree(submit(TENANT, "first").join().body()).get("jobId").asString();

    // eight at once for the one place left: exactly one gets it
    List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      together.add(submit(TENANT, null));
    }
    List<Integer> statuses = together.stream().map(f -> f.join().statusCode()).toList();
    assertThat(statuses).as(statuses.toString()).containsOnly(201, 429).filteredOn(s -> s == 201).hasSize(1);
    HttpResponse<String> refused = together.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 429)
        .findFirst().orElseThrow();
    assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(json.readTree(refused.body()).get("detail").asString()).contains("quota is 2");
    assertThat(jdbc.queryForObject("SELECT count(*) FROM training_job WHERE tenant = ? AND state = 'QUEUED'", Long.class, TENANT))
        .isEqualTo(2);

    // the first job's idempotency key still answers with it
    HttpResponse<String> again = submit(TENANT, "first").join();
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(json.readTree(again.body()).get("jobId").asString()).isEqualTo(first);
    // another tenant is not held up
    assertThat(submit("quota-neighbour", null).join().statusCode()).isEqualTo(201);

    HttpResponse<String> cancelled = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
        + "/api/v1/training/jobs/" + first + "/cancel")).header("X-Tenant-Id", TENANT)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    assertThat(submit(TENANT, null).join().statusCode()).as("a cancelled job frees its place").isEqualTo(201);
  }

  private CompletableFuture<HttpResponse<String>> submit(String tenant, String idempotencyKey) {
    String key = idempotencyKey == null ? "" : ",\"idempotencyKey\":\"quota-" + idempotencyKey + "-" + port + "\"";
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/training/jobs"))
        .header("Content-Type", "application/json").header("X-Tenant-Id", tenant)
        .POST(HttpRequest.BodyPublishers.ofString("{\"displayName\":\"quota\"" + key + ",\"spec\":" + SPEC + "}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
