package dev.divergence.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.gateway.GatewayProperties;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.servlet.function.HandlerFilterFunction;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/** The retry decision in isolation: which requests and which failures are tried again. */
class ConnectionFailureRetryTest {

  final HandlerFilterFunction<ServerResponse, ServerResponse> filter =
      ConnectionFailureRetry.of(new GatewayProperties.Retry(3, Duration.ofMillis(1)));
  final AtomicInteger attempts = new AtomicInteger();

  @Test
  void retriesASafeRequestThatCouldNotConnectUntilItSucceeds() throws Exception {
    HandlerFunction<ServerResponse> refusedTwice = request -> {
      if (attempts.incrementAndGet() < 3) {
        throw refused();
      }
      return ServerResponse.ok().build();
    };

    assertThat(filter.filter(request("GET"), refusedTwice).statusCode().value()).isEqualTo(200);
    assertThat(attempts).hasValue(3);
  }

  @Test
  void givesUpAfterTheConfiguredAttempts() {
    assertThatThrownBy(() -> filter.filter(request("GET"), alwaysFailing(refused())))
        .isInstanceOf(ResourceAccessException.class);
    assertThat(attempts).hasValue(3);
  }

  @Test
  void doesNotRetryAnUnsafeMethod() {
    assertThatThrownBy(() -> filter.filter(request("POST"), alwaysFailing(refused())))
        .isInstanceOf(ResourceAccessException.class);
    assertThat(attempts).hasValue(1);
  }

  @Test
  void aSingleAttemptMeansNoRetry() {
    HandlerFilterFunction<ServerResponse, ServerResponse> once =
        ConnectionFailureRetry.of(new GatewayProperties.Retry(1, Duration.ofMillis(1)));
    assertThatThrownBy(() -> once.filter(request("GET"), alwaysFailing(refused())))
        .isInstanceOf(ResourceAccessException.class);
    assertThat(attempts).hasValue(1);
  }

  @Test
  void anAnswerIsNeverRetriedWhateverItsStatus() throws Exception {
    HandlerFunction<ServerResponse> failingService = request -> {
      attempts.incrementAndGet();
      return ServerResponse.status(503).build();
    };
    assertThat(filter.filter(request("GET"), failingService).statusCode().value()).isEqualTo(503);
    assertThat(attempts).hasValue(1);
  }

  @Test
  void doesNotRetryATimeoutBecauseTheServiceMayStillBeWorking() {
    ResourceAccessException timeout = new ResourceAccessException("timed out", new HttpTimeoutException("request timed out"));

    assertThatThrownBy(() -> filter.filter(request("GET"), alwaysFailing(timeout))).isSameAs(timeout);
    assertThat(attempts).hasValue(1);
  }

  private HandlerFunction<ServerResponse> alwaysFailing(ResourceAccessException failure) {
    return request -> {
      attempts.incrementAndGet();
      throw failure;
    };
  }

  private static ResourceAccessException refused() {
    return new ResourceAccessException("I/O error", new ConnectException("Connection refused"));
  }

  private static ServerRequest request(String method) {
    return ServerRequest.create(new MockHttpServletRequest(method, "/api/v1/training/jobs"), List.of());
  }
}
