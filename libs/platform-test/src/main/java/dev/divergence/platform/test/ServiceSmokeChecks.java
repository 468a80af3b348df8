package dev.divergence.platform.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * What every service must show once it booted on the embedded infrastructure: readiness over HTTP
 * covering its database and Kafka, its own migrated schema, and a SERVING gRPC health service.
 */
public final class ServiceSmokeChecks {

  private ServiceSmokeChecks() {}

  public static void readyWithDatabaseAndKafka(int httpPort) throws Exception {
    HttpResponse<String> readiness = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/actuator/health/readiness")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"db\"").contains("\"kafka\"");
  }

  public static void ownSchemaMigrated(DataSource dataSource, String schema) throws SQLException {
    try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
      try (ResultSet current = statement.executeQuery("SELECT current_schema()")) {
        current.next();
        assertThat(current.getString(1)).isEqualTo(schema);
      }
      try (ResultSet tables = statement.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_schema = '"
          + schema + "' AND table_name IN ('outbox_event', 'processed_event')")) {
        tables.next();
        assertThat(tables.getLong(1)).as("platform tables in schema %s", schema).isEqualTo(2);
      }
    }
  }

  public static void grpcHealthServing(int grpcPort) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
    try {
      HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().build());
      assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      channel.shutdownNow();
    }
  }
}
