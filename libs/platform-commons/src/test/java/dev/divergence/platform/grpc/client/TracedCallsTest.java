package dev.divergence.platform.grpc.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.tenancy.TenantScope;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The auto-configured client and server together, as two services run them: a call made inside a
 * span continues that trace on the other side, and carries the tenant.
 */
@SpringBootTest(
    classes = TracedCallsTestApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"spring.application.name=caller", "management.endpoint.health.validate-group-membership=false",
        "spring.autoconfigure.exclude="
        + "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration,"
        + "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration,"
        + "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration"})
class TracedCallsTest {

  @DynamicPropertySource
  static void ports(DynamicPropertyRegistry registry) throws IOException {
    // the server's port must be known before the context starts, for the client's target
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    registry.add("divergence.grpc.port", () -> port);
    registry.add("divergence.clients.self.target", () -> "localhost:" + port);
  }

  @Autowired GrpcClients clients;
  @Autowired Tracer tracer;

  @Test
  void theCalledServiceContinuesTheCallersTraceForTheCallersTenant() {
    var training = TrainingServiceGrpc.newBlockingStub(clients.channel("self"));
    Span span = tracer.nextSpan().name("user request").start();
    try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
      TenantScope.as("acme-labs", () -> training.getJobMetrics(GetJobMetricsRequest.newBuilder().setJobId("j").build()));
    } finally {
      span.end();
    }

    assertThat(TracedCallsTestApplication.SEEN.get())
        .isEqualTo(new TracedCallsTestApplication.Seen(span.context().traceId(), "acme-labs"));
  }
}
