package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.gateway.route.ServiceResilience;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class CircuitBreakerTest extends GatewayTestBase {

  @Autowired
  ServiceResilience resilience;

  @Test
  void opensAfterRepeatedFailuresAndThenAnswersWithoutCallingTheService() {
    for (int call = 0; call < BREAKER_WINDOW; call++) {
      HttpResponse<String> response = get("/api/v1/merging/jobs");
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(json(response).get("detail").asString()).contains("merging", "refused the connection");
    }
    assertThat(resilience.circuitBreakers().circuitBreaker("merging").getState()).isEqualTo(CircuitBreaker.State.OPEN);

    // the service comes back, but the open circuit keeps callers away from it until the wait is over
    MERGING_DOWN.close();
    try (FakeService merging = FakeService.startOn("merging", MERGING_PORT)) {
      HttpResponse<String> response = get("/api/v1/merging/jobs");

      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(json(response).get("detail").asString())
          .startsWith("The merging service is unavailable: its circuit breaker is open");
      assertThat(merging.received()).isEmpty();
    }
  }
}
