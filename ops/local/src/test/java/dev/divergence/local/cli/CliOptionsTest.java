package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CliOptionsTest {

    @TempDir
    Path root;

    private Path checkout() throws Exception {
        Files.createDirectories(root.resolve("ops/local"));
        Files.writeString(root.resolve("ops/local/pom.xml"), "<project/>");
        return root;
    }

    @Test
    void defaultsToTheArchitecturePortsAndDotDataUnderTheCheckout() throws Exception {
        CliOptions o = CliOptions.parse(new String[] {"up", "--root", checkout().toString()});
        assertThat(o.command()).isEqualTo("up");
        assertThat(o.config().dataDir()).isEqualTo(root.resolve(".data"));
        assertThat(o.config().ports().http(Component.GATEWAY)).isEqualTo(8080);
        assertThat(o.config().components()).containsExactly(Component.values());
        assertThat(o.config().serviceStartupCache()).isTrue();
        assertThat(o.config().cacheDir()).isEqualTo(LocalPlatformConfig.defaultCacheDir().toAbsolutePath().normalize());
        assertThat(o.config().cacheDir()).isNotEqualTo(o.config().dataDir()).endsWith(Path.of("divergence"));
    }

    @Test
    void theCacheFolderIsIndependentOfTheDataFolder() throws Exception {
        CliOptions o = CliOptions.parse(new String[] {"up", "--root", checkout().toString(), "--data-dir", "/tmp/fresh-data",
                "--cache-dir", "/tmp/shared-cache"});
        assertThat(o.config().dataDir()).isEqualTo(Path.of("/tmp/fresh-data"));
        assertThat(o.config().cacheDir()).isEqualTo(Path.of("/tmp/shared-cache"));
        assertThat(o.config().djlCacheDir()).isEqualTo(Path.of("/tmp/shared-cache/djl"));
    }

    @Test
    void readsOffsetsSinglePortsSubsetsAndTimeouts() throws Exception {
        CliOptions o = CliOptions.parse(new String[] {"up", "--root=" + checkout(), "--data-dir", "/tmp/elsewhere",
                "--port-offset", "100", "--port", "postgres=5432", "--only", "kafka, postgres", "--timeout=30",
                "--no-startup-cache"});
        assertThat(o.config().serviceStartupCache()).isFalse();
        assertThat(o.config().dataDir()).isEqualTo(Path.of("/tmp/elsewhere"));
        assertThat(o.config().ports().kafka()).isEqualTo(19192);
        assertThat(o.config().ports().postgres()).isEqualTo(5432);
        assertThat(o.config().components()).containsExactly(Component.KAFKA, Component.POSTGRES);
        assertThat(o.config().startTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void externalKafkaAndPostgresAreUsedInsteadOfStartingThem() throws Exception {
        CliOptions o = CliOptions.parse(new String[] {"up", "--root", checkout().toString(),
                "--kafka-bootstrap", "kafka.example:9092", "--postgres-url", "jdbc:postgresql://db.example:5432/d",
                "--postgres-user", "app", "--postgres-password", "secret"});
        assertThat(o.config().components()).doesNotContain(Component.KAFKA, Component.POSTGRES).contains(Component.GATEWAY);
        assertThat(o.config().kafkaBootstrapServers()).isEqualTo("kafka.example:9092");
        assertThat(o.config().jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5432/d");
        assertThat(o.config().databaseUser()).isEqualTo("app");
        assertThat(o.config().databasePassword()).isEqualTo("secret");
    }

    @Test
    void rejectsWhatItDoesNotKnowWithAUsageExitCode() throws Exception {
        assertThatThrownBy(() -> CliOptions.parse(new String[] {"up", "--colour", "x"})).hasMessageContaining("unknown option --colour");
        assertThatThrownBy(() -> CliOptions.parse(new String[] {"up", "--port-offset", "x"})).hasMessageContaining("expects a number");
        assertThatThrownBy(() -> CliOptions.parse(new String[] {"up", "--only", "kafak"})).hasMessageContaining("unknown component 'kafak'");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PlatformCli.run(new String[] {"up", "--root", checkout().toString(), "--bogus", "1"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(PlatformCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("platform: unknown option --bogus").contains("usage:");
    }

    @Test
    void statusAndDownOfAPlatformThatDoesNotRunSaySo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThat(PlatformCli.run(new String[] {"status", "--root", checkout().toString()}, print, print)).isEqualTo(PlatformCli.FAILED);
        assertThat(PlatformCli.run(new String[] {"down", "--root", checkout().toString()}, print, print)).isEqualTo(PlatformCli.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("The platform is not running.")
                .contains("The platform is not running (no ");
    }
}
