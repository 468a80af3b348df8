package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OutageTest extends GatewayTestBase {

  @Test
  void aServiceThatIsDownIsA503ProblemNamingIt() {
    HttpResponse<String> response = get("/api/v1/evaluation/runs");

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = json(response);
    assertThat(problem.get("type").asString()).isEqualTo("https://divergence.dev/problems/unavailable");
    assertThat(problem.get("title").asString()).isEqualTo("Service unavailable");
    assertThat(problem.get("status").asInt()).isEqualTo(503);
    assertThat(problem.get("detail").asString())
        .isEqualTo("The evaluation service is unavailable: it refused the connection");
    assertThat(problem.get("requestId").asString()).isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
  }

  @Test
  void aServiceThatDoesNotAnswerInTimeIsA503AndIsNotRetried() {
    Instant start = Instant.now();
    HttpResponse<String> response = get("/api/v1/inference/slow");

    // the gateway gives up after its read timeout, well before the service would have answered
    assertThat(Duration.between(start, Instant.now())).isLessThan(FakeService.SLOW_ANSWER.minusSeconds(1));
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(json(response).get("detail").asString())
        .isEqualTo("The inference service is unavailable: no answer within " + READ_TIMEOUT.toMillis() + " ms");
    assertThat(INFERENCE.received()).filteredOn(r -> r.uri().equals("/api/v1/inference/slow")).hasSize(1);
  }

  @Test
  void anUnknownRouteIsA404Problem() {
    for (String path : new String[] {"/api/v1/nope", "/whatever"}) {
      HttpResponse<String> response = get(path);

      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      JsonNode problem = json(response);
      assertThat(problem.get("type").asString()).isEqualTo("https://divergence.dev/problems/not-found");
      assertThat(problem.get("status").asInt()).isEqualTo(404);
      assertThat(problem.get("detail").asString()).isEqualTo("No route matches GET " + path);
      assertThat(problem.get("requestId").asString()).isNotBlank();
    }
  }
}
