package dev.divergence.local;

import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The real Kafka broker and PostgreSQL of the local runtime: start, stop, restart, data that survives, no orphans. */
class InfrastructureIT {

    private static final String TOPIC = "local-runtime.it.v1";

    private static Path freshDataDir(String name) {
        return Path.of("target/it-data", name + "-" + System.currentTimeMillis()).toAbsolutePath();
    }

    private static LocalPlatformConfig infrastructureOnly(Path dataDir) {
        return LocalPlatformConfig.builder().dataDir(dataDir).randomFreePorts()
                .components(Component.KAFKA, Component.POSTGRES).startTimeout(Duration.ofSeconds(120)).build();
    }

    @Test
    void kafkaAndPostgresKeepTheirDataAcrossStopsRestartsAndNewPorts() throws Exception {
        Path dataDir = freshDataDir("infrastructure");
        List<Long> pids = new ArrayList<>();
        try (LocalPlatform platform = LocalPlatform.start(infrastructureOnly(dataDir))) {
            assertThat(platform.isHealthy(Component.KAFKA)).isTrue();
            assertThat(platform.isHealthy("postgres")).isTrue();
            produce(platform.kafkaBootstrapServers(), "a", "b", "c");
            sql(platform.jdbcUrl(), "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)");

            platform.stop(Component.KAFKA);
            assertThat(platform.isRunning(Component.KAFKA)).isFalse();
            assertThat(platform.isHealthy(Component.KAFKA)).isFalse();
            assertThat(platform.isHealthy(Component.POSTGRES)).as("the others keep running").isTrue();
            platform.start(Component.KAFKA);
            assertThat(consumeAll(platform.kafkaBootstrapServers(), 3)).containsExactly("a", "b", "c");

            platform.restart(Component.POSTGRES);
            assertThat(count(platform.jdbcUrl(), "SELECT count(*) FROM kept")).isEqualTo(1);

            pids.add(platform.pid(Component.KAFKA));
            pids.add(platform.pid(Component.POSTGRES));
            pids.add(postmasterPid(dataDir).orElseThrow());
        }
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        assertThat(new StateFile(dataDir.resolve("run")).read()).as("state file removed on stop").isEmpty();

        // A new launcher on the same data directory, on other ports: the same topic contents and rows.
        try (LocalPlatform again = LocalPlatform.start(infrastructureOnly(dataDir))) {
            assertThat(consumeAll(again.kafkaBootstrapServers(), 3)).containsExactly("a", "b", "c");
            assertThat(count(again.jdbcUrl(), "SELECT count(*) FROM kept")).isEqualTo(1);
        }
    }

    @Test
    void childrenDoNotOutliveALauncherKilledWithSigkill() throws Exception {
        Path dataDir = freshDataDir("killed-launcher");
        PlatformPorts ports = infrastructureOnly(dataDir).ports();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.divergence.local.cli.PlatformCli", "up",
                "--data-dir", dataDir.toString(), "--only", "kafka,postgres", "--timeout", "120",
                "--port", "kafka=" + ports.kafka(), "--port", "kafka-controller=" + ports.kafkaController(),
                "--port", "postgres=" + ports.postgres()));
        Files.createDirectories(dataDir);
        File output = dataDir.resolve("launcher.out").toFile();
        Process launcher = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
        try {
            PlatformState state = awaitChildrenReady(dataDir, launcher, output);
            List<ProcessHandle> children = new ArrayList<>();
            state.children().values().forEach(r -> children.add(r.live().orElseThrow()));
            children.add(ProcessHandle.of(postmasterPid(dataDir).orElseThrow()).orElseThrow());

            launcher.destroyForcibly(); // SIGKILL: no shutdown hook runs in the launcher
            launcher.waitFor();

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(children).as("Kafka, the PostgreSQL JVM and the postmaster stop on their own").noneMatch(ProcessHandle::isAlive);
        } finally {
            launcher.destroyForcibly();
        }
    }

    private static PlatformState awaitChildrenReady(Path dataDir, Process launcher, File output) throws Exception {
        StateFile stateFile = new StateFile(dataDir.resolve("run"));
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(launcher.isAlive()).as("launcher output: %s", Files.readString(output.toPath())).isTrue();
            if (Files.readString(output.toPath()).contains("components ready")) {
                return stateFile.read().orElseThrow();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the launcher did not report ready: " + Files.readString(output.toPath()));
    }

    static Optional<Long> postmasterPid(Path dataDir) throws Exception {
        Path pidFile = dataDir.resolve("postgres/postmaster.pid");
        return Files.exists(pidFile) ? Optional.of(Long.parseLong(Files.readAllLines(pidFile).get(0).trim())) : Optional.empty();
    }

    private static void produce(String bootstrap, String... values) throws Exception {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(TOPIC, "one-key", v)).get(); // one key: one partition, ordered
            }
        }
    }

    private static List<String> consumeAll(String bootstrap, int expected) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    private static void sql(String jdbcUrl, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, LocalPlatformConfig.POSTGRES_USER, LocalPlatformConfig.POSTGRES_PASSWORD);
             Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    private static long count(String jdbcUrl, String query) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, LocalPlatformConfig.POSTGRES_USER, LocalPlatformConfig.POSTGRES_PASSWORD);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
