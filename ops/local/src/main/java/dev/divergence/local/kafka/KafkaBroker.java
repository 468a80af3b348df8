package dev.divergence.local.kafka;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.process.ChildComponent;
import dev.divergence.local.process.ChildLogging;
import dev.divergence.local.process.ChildProcess;
import dev.divergence.local.process.ComponentStartException;
import dev.divergence.local.process.JavaCommand;
import dev.divergence.local.process.LauncherClasspath;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** A real Apache Kafka broker (KRaft, combined broker + controller) in a child JVM, data under dataDir/kafka. */
public final class KafkaBroker extends ChildComponent {

    /** SerialGC and C1 only: a local broker moves little data, and this saves memory and CPU on a laptop. */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(90);

    public KafkaBroker(LocalPlatformConfig config, JavaCommand java) {
        super(Component.KAFKA, config, java);
    }

    public Path logDir() {
        return config.dataDir().resolve("kafka");
    }

    private Path serverProperties() {
        return config.runDir().resolve("kafka-server.properties");
    }

    @Override
    public String address() {
        return config.kafkaBootstrapServers();
    }

    @Override
    protected void prepare() {
        try {
            Files.createDirectories(logDir());
            Files.writeString(serverProperties(), KafkaServerProperties.render(KafkaServerProperties.forSingleNode(
                    config.ports().kafka(), config.ports().kafkaController(), logDir())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Files.exists(logDir().resolve("meta.properties"))) {
            format();
        }
    }

    /** First start only: give the log directory a cluster id (what kafka-storage.sh format does). */
    private void format() {
        String clusterId = Uuid.randomUuid().toString();
        ChildProcess tool = ChildProcess.start("kafka-format",
                java.mainClass(jvmOptions(), "kafka.tools.StorageTool",
                        List.of("format", "-t", clusterId, "-c", serverProperties().toString())),
                environment(), config.dataDir(), config.logFile(component));
        try {
            boolean done = tool.onExit().get(FORMAT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) != null;
            if (done && tool.exitCode() == 0) {
                return;
            }
        } catch (Exception e) {
            tool.stop(Duration.ofSeconds(5));
        }
        throw new ComponentStartException(component, "formatting the Kafka log directory " + logDir() + " failed",
                tool.logTail(20));
    }

    @Override
    protected List<String> command() {
        return java.mainClass(jvmOptions(), "kafka.Kafka", List.of(serverProperties().toString()));
    }

    private List<String> jvmOptions() {
        List<String> options = new java.util.ArrayList<>(JVM_OPTIONS);
        options.add(ChildLogging.jvmOption(config.runDir()));
        options.add("-Djava.io.tmpdir=" + config.dataDir().resolve("tmp"));
        return options;
    }

    @Override
    protected Map<String, String> environment() {
        // CLASSPATH rather than -cp keeps `ps` readable; the launcher's own classpath holds Kafka's jars.
        return Map.of("CLASSPATH", LauncherClasspath.current());
    }

    @Override
    protected Duration stopGrace() {
        return Duration.ofSeconds(30);
    }

    @Override
    public boolean isHealthy() {
        return isReachable(address());
    }

    /** True when the broker answers a metadata request and lists itself as a node. */
    public static boolean isReachable(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "2500");
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "1000");
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "1000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        try (Admin admin = Admin.create(props)) {
            return !admin.describeCluster(new DescribeClusterOptions().timeoutMs(2500)).nodes()
                    .get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }
}
