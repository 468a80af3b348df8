package dev.divergence.merging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/** The service boots on real PostgreSQL and Kafka, migrates its own schema and reports healthy over HTTP and gRPC. */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "divergence.grpc.port=0")
class MergingServiceIT {

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired JdbcTemplate jdbc;

  @Test
  void readyOverHttpWithDatabaseAndKafka() throws Exception {
    HttpResponse<String> readiness = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health/readiness")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"db\"").contains("\"kafka\"");
  }

  @Test
  void ownSchemaIsMigrated() {
    assertThat(jdbc.queryForObject("SELECT current_schema()", String.class)).isEqualTo("merging");
    assertThat(jdbc.queryForObject(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'merging' AND table_name IN ('outbox_event', 'processed_event')",
        Long.class)).isEqualTo(2);
  }

  @Test
  void grpcHealthIsServing() throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().build());
      assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      channel.shutdownNow();
    }
  }
}
