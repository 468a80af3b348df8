package dev.divergence.local;

import dev.divergence.local.service.HttpHealth;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.ServerReadyRequest;
import dev.divergence.proto.triton.ServerReadyResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Starts the whole local runtime exactly as a user does, through the ./platform script (which runs this
 * module's launcher jar), on random free ports and a data directory under target/, then checks every
 * component's health with `./platform status` and the actuator probes, and stops it with `./platform down`.
 */
class PlatformScriptIT {

    private static final Duration UP_TIMEOUT = Duration.ofMinutes(5);

    @Test
    void upStartsEveryComponentHealthyStatusShowsItAndDownStopsIt() throws Exception {
        Path root = LocalPlatformConfig.findRepoRoot(Path.of(""));
        requireServiceJars(root);
        Path dataDir = Path.of("target/it-data", "platform-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(dataDir);
        LocalPlatformConfig config = LocalPlatformConfig.builder().repoRoot(root).dataDir(dataDir).randomFreePorts().build();

        List<String> up = new ArrayList<>(List.of(root.resolve("platform").toString(), "up", "--data-dir", dataDir.toString(),
                "--timeout", Long.toString(UP_TIMEOUT.toSeconds() - 30),
                // a fresh data directory would only pay for building the startup cache (unpacking, archive dump at stop)
                "--no-startup-cache"));
        up.addAll(portOptions(config.ports()));
        File upOutput = dataDir.resolve("up.out").toFile();
        long begin = System.nanoTime();
        Process launcher = script(root, up).redirectOutput(upOutput).start();
        try {
            awaitOutput(launcher, upOutput, "components ready");
            Duration timeToHealthy = Duration.ofNanos(System.nanoTime() - begin);
            PlatformState state = new StateFile(config.runDir()).read().orElseThrow();
            System.out.printf("local platform: all healthy %.1f s after ./platform up; resident memory %d MiB (RSS sum), %d MiB (PSS sum)%n",
                    timeToHealthy.toMillis() / 1000.0, ResidentMemory.ofTree(launcher.toHandle()) / 1024 / 1024,
                    ResidentMemory.proportionalOfTree(launcher.toHandle()) / 1024 / 1024);

            for (Component c : Component.services()) {
                assertThat(HttpHealth.isReady(config.httpUrl(c))).as("%s readiness", c.id()).isTrue();
                assertThat(HttpHealth.isLive(config.httpUrl(c))).as("%s liveness", c.id()).isTrue();
            }
            assertModelServerAnswers(config.ports().triton());
            Result status = run(root, List.of(root.resolve("platform").toString(), "status", "--data-dir", dataDir.toString()));
            assertThat(status.output()).contains("7/7 healthy.");
            assertThat(status.output()).contains("model server: HTTP :" + config.ports().triton().http());
            assertThat(status.exitCode()).as(status.output()).isZero();

            Result down = run(root, List.of(root.resolve("platform").toString(), "down", "--data-dir", dataDir.toString()));
            assertThat(down.exitCode()).as(down.output()).isZero();
            assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
            // the launcher JVM ends as a process terminated by SIGTERM does: 128 + 15
            assertThat(launcher.exitValue()).isEqualTo(143);
            assertThat(state.children()).hasSize(Component.values().length);
            assertThat(state.children().values()).allSatisfy(child -> assertThat(child.live()).isEmpty());
            assertThat(Files.readString(upOutput.toPath())).contains("Stopping: services, then Kafka, then PostgreSQL")
                    .doesNotContain("exited unexpectedly");
        } finally {
            launcher.destroy();
            launcher.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /**
     * The inference service's embedded model server answers on Triton's ports as Triton would:
     * ServerReady over the gRPC protocol, /v2/health/ready over KServe v2 REST, Prometheus metrics.
     */
    private static void assertModelServerAnswers(PlatformPorts.TritonPorts triton) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", triton.grpc()).usePlaintext().build();
        try {
            ServerReadyResponse ready = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .serverReady(ServerReadyRequest.getDefaultInstance());
            assertThat(ready.getReady()).as("ServerReady on the model server's gRPC port").isTrue();
        } finally {
            channel.shutdownNow();
        }
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + triton.http() + "/v2/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as("/v2/health/ready on the model server's HTTP port").isEqualTo(200);
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + triton.metrics() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).as("/metrics on the model server's metrics port").isEqualTo(200);
    }

    /** Fails, never skips: without the jars this test cannot say anything about the platform. */
    private static void requireServiceJars(Path root) {
        List<String> problems = new ArrayList<>();
        for (Component c : Component.services()) {
            Path jar = root.resolve(c.jarPath());
            if (!Files.isRegularFile(jar)) {
                problems.add(c.jarPath() + " is missing");
                continue;
            }
            try (JarFile f = new JarFile(jar.toFile())) {
                if (f.getManifest() == null || f.getManifest().getMainAttributes().getValue("Main-Class") == null) {
                    problems.add(c.jarPath() + " is not an executable jar");
                }
            } catch (IOException e) {
                problems.add(c.jarPath() + " cannot be read: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            fail("The local-runtime test starts every service from its jar, which the reactor builds before ops/local: "
                    + String.join("; ", problems) + ". Run ./mvnw verify from the repository root.");
        }
    }

    private static List<String> portOptions(PlatformPorts ports) {
        Properties p = new Properties();
        ports.writeTo(p);
        List<String> options = new ArrayList<>();
        for (String key : p.stringPropertyNames()) {
            options.add("--port");
            options.add(key.substring("port.".length()) + "=" + p.getProperty(key));
        }
        return options;
    }

    private static ProcessBuilder script(Path root, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // the JDK running this test
        // the inference service makes its built-in models in the background; the small budget keeps that short
        pb.environment().put("DIVERGENCE_BUILT_IN_BUDGET", "small");
        return pb;
    }

    record Result(int exitCode, String output) {
    }

    private static Result run(Path root, List<String> command) throws Exception {
        Process p = script(root, command).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), output);
    }

    private static void awaitOutput(Process launcher, File output, String expected) throws Exception {
        long deadline = System.nanoTime() + UP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.readString(output.toPath());
            if (text.contains(expected)) {
                return;
            }
            if (!launcher.isAlive()) {
                fail("./platform up ended with exit code " + launcher.exitValue() + ":\n" + text);
            }
            Thread.sleep(500);
        }
        fail("./platform up did not report ready within " + UP_TIMEOUT + ":\n" + Files.readString(output.toPath()));
    }
}
