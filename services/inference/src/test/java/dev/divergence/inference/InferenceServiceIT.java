package dev.divergence.inference;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.ServiceSmokeChecks;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The service boots on real PostgreSQL and Kafka, migrates its own schema and reports healthy over HTTP and gRPC. */
class InferenceServiceIT extends InferenceTestBase {

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired DataSource dataSource;

  @Test
  void readyOverHttpWithDatabaseAndKafka() throws Exception {
    ServiceSmokeChecks.readyWithDatabaseAndKafka(port);
  }

  @Test
  void ownSchemaIsMigrated() throws Exception {
    ServiceSmokeChecks.ownSchemaMigrated(dataSource, "inference");
  }

  @Test
  void grpcHealthIsServing() {
    ServiceSmokeChecks.grpcHealthServing(grpc.port());
  }
}
