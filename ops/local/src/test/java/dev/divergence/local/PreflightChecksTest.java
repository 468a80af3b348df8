package dev.divergence.local;

import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PreflightChecksTest {

    @TempDir
    Path root;

    private LocalPlatformConfig.Builder config() {
        return LocalPlatformConfig.builder().repoRoot(root).dataDir(root.resolve(".data")).randomFreePorts();
    }

    @Test
    void missingServiceJarsAreNamedInOneLine() {
        LocalPlatformConfig config = config().build();
        assertThatThrownBy(() -> PreflightChecks.run(config, PlatformListener.SILENT))
                .isInstanceOf(PlatformStartException.class)
                .hasMessageContaining("gateway/target/gateway.jar")
                .hasMessageContaining("services/training/target/training.jar")
                .hasMessageContaining("services/merging/target/merging.jar")
                .hasMessageContaining("./mvnw -q -DskipTests package")
                .hasMessageNotContaining("\n");
    }

    @Test
    void onlyTheJarsThatAreMissingAreNamed() throws Exception {
        LocalPlatformConfig config = config().build();
        for (Component present : List.of(Component.GATEWAY, Component.INFERENCE)) {
            Files.createDirectories(config.jar(present).getParent());
            Files.writeString(config.jar(present), "jar");
        }
        assertThatThrownBy(() -> PreflightChecks.run(config, PlatformListener.SILENT))
                .isInstanceOf(PlatformStartException.class)
                .hasMessageContaining("services/training/target/training.jar")
                .hasMessageContaining("services/evaluation/target/evaluation.jar")
                .hasMessageContaining("services/merging/target/merging.jar")
                .hasMessageNotContaining("gateway.jar")
                .hasMessageNotContaining("inference.jar");
    }

    @Test
    void infrastructureAloneNeedsNoJars() {
        LocalPlatformConfig config = config().components(Component.KAFKA, Component.POSTGRES).build();
        assertThat(Files.exists(config.jar(Component.TRAINING))).isFalse();
        assertThatCode(() -> PreflightChecks.run(config, PlatformListener.SILENT)).doesNotThrowAnyException();
        // and the same configuration with a service added is refused for that service's jar
        LocalPlatformConfig withTraining = config.toBuilder().components(Component.KAFKA, Component.POSTGRES, Component.TRAINING).build();
        assertThatThrownBy(() -> PreflightChecks.run(withTraining, PlatformListener.SILENT))
                .hasMessageContaining("services/training/target/training.jar");
    }

    @Test
    void aPortInUseIsExplainedInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            LocalPlatformConfig config = config().components(Component.KAFKA, Component.POSTGRES).build();
            LocalPlatformConfig clash = config.toBuilder().ports(config.ports().with("postgres", taken.getLocalPort())).build();
            assertThatThrownBy(() -> PreflightChecks.run(clash, PlatformListener.SILENT))
                    .isInstanceOf(PlatformStartException.class)
                    .hasMessageStartingWith("Port " + taken.getLocalPort() + " (postgres) is already in use")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void aBusyModelServerPortStopsTheInferenceServiceNamingItsPortOption() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            PlatformPorts ports = config().build().ports().with("triton-grpc", taken.getLocalPort());
            assertThatThrownBy(() -> PreflightChecks.requirePortsFree(ports, java.util.List.of(Component.INFERENCE)))
                    .isInstanceOf(PlatformStartException.class)
                    .hasMessageStartingWith("Port " + taken.getLocalPort() + " (triton grpc) is already in use")
                    .hasMessageContaining("--port triton-grpc=PORT");
        }
    }

    @Test
    void anExternalKafkaThatDoesNotAnswerIsExplainedInOneLine() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        LocalPlatformConfig config = config().components(Component.KAFKA).externalKafka("localhost:" + closedPort).build();
        assertThat(config.components()).isEmpty();
        assertThatThrownBy(() -> PreflightChecks.run(config, PlatformListener.SILENT))
                .isInstanceOf(PlatformStartException.class)
                .hasMessageStartingWith("The external Kafka at localhost:" + closedPort + " does not answer")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aRunningLauncherOnTheSameDataDirectoryIsReported() {
        LocalPlatformConfig config = config().components(Component.KAFKA).build();
        // the test JVM itself plays the running launcher
        new StateFile(config.runDir()).write(PlatformState.ofCurrentLauncher(config.ports(), EnumSet.of(Component.KAFKA), Map.of()));
        assertThatThrownBy(() -> PreflightChecks.run(config, PlatformListener.SILENT))
                .isInstanceOf(PlatformStartException.class)
                .hasMessageContaining("already running")
                .hasMessageContaining("./platform down");
    }

    @Test
    void theStateOfADeadLauncherIsCleanedUp() throws Exception {
        LocalPlatformConfig config = config().components(Component.KAFKA).build();
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        StateFile stateFile = new StateFile(config.runDir());
        stateFile.write(new PlatformState(new PlatformState.RecordedProcess(Integer.MAX_VALUE - 1, java.time.Instant.now()),
                config.ports(), EnumSet.of(Component.KAFKA),
                Map.of(Component.KAFKA, PlatformState.RecordedProcess.of(sleeper.toHandle()))));
        List<String> notices = new java.util.ArrayList<>();
        PreflightChecks.run(config, new PlatformListener() {
            @Override
            public void notice(String line) {
                notices.add(line);
            }
        });
        assertThat(sleeper.isAlive()).isFalse();
        assertThat(notices).singleElement().asString().contains("kafka (pid " + sleeper.pid() + ")");
        assertThat(Files.exists(stateFile.path())).isFalse();
    }
}
