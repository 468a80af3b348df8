package dev.divergence.local.service;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.process.ChildComponent;
import dev.divergence.local.process.ComponentStartException;
import dev.divergence.local.process.JavaCommand;
import dev.divergence.local.secrets.LocalSecrets;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A service or the gateway: its executable Spring Boot jar in a child JVM, configured only through
 * environment variables (the same jar runs against external Kafka/PostgreSQL in compose or Kubernetes).
 */
public final class SpringBootService extends ChildComponent {

    private volatile StartupCache.Launch launch;

    public SpringBootService(Component component, LocalPlatformConfig config, JavaCommand java) {
        super(component, config, java);
        if (component.isInfrastructure()) {
            throw new IllegalArgumentException(component.id() + " is not a Spring Boot service");
        }
    }

    @Override
    public String address() {
        return config.httpUrl(component);
    }

    @Override
    protected void prepare() {
        if (!Files.isRegularFile(config.jar(component))) {
            throw new ComponentStartException(component, "the " + component.id() + " jar is missing: " + config.jar(component)
                    + " (build it with ./mvnw -q -DskipTests package)", List.of());
        }
        launch = config.serviceStartupCache()
                ? new StartupCache(config.cacheDir().resolve("services"), JavaCommand.javaExecutable())
                        .prepare(component.id(), config.jar(component), config.logFile(component))
                : StartupCache.Launch.plain(config.jar(component));
    }

    @Override
    protected List<String> command() {
        List<String> options = new ArrayList<>(config.serviceJvmOptions());
        // libtorch unpacks once per machine, not once per data folder (DjlRuntime keeps properties set here)
        options.add("-DDJL_CACHE_DIR=" + config.djlCacheDir());
        options.add("-DENGINE_CACHE_DIR=" + config.djlCacheDir());
        return java.withArguments(options, launch.arguments());
    }

    /** Writing the class-data archive on the first stop takes CPU time; killing the JVM then would waste it. */
    @Override
    protected Duration stopGrace() {
        StartupCache.Launch l = launch;
        return l != null && l.writesArchiveOnExit() ? Duration.ofSeconds(120) : Duration.ofSeconds(20);
    }

    @Override
    protected Map<String, String> environment() {
        return ServiceEnvironment.of(component, config);
    }

    @Override
    public boolean isHealthy() {
        return HttpHealth.isReady(address());
    }

    /** The environment contract between the launcher and each service. */
    public static final class ServiceEnvironment {
        private ServiceEnvironment() {
        }

        public static Map<String, String> of(Component component, LocalPlatformConfig config) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("SERVER_PORT", Integer.toString(config.ports().http(component)));
            env.put("DIVERGENCE_DATA_DIR", config.dataDir().toString());
            // the gateway signs each caller's identity with it; the services believe only what verifies
            env.put("DIVERGENCE_SECURITY_IDENTITY_SECRET", LocalSecrets.identitySecret(config.dataDir()));
            if (component == Component.GATEWAY) {
                for (Component service : Component.services()) {
                    if (service != Component.GATEWAY) {
                        env.put("DIVERGENCE_GATEWAY_SERVICES_" + service.name() + "_URI", config.httpUrl(service));
                        // the gRPC entry point forwards each service's proto package to its gRPC port
                        env.put("DIVERGENCE_GATEWAY_GRPC_SERVICES_" + service.name() + "_TARGET",
                                "localhost:" + config.ports().grpc(service));
                    }
                }
                // a state file written before the gateway had a gRPC port names none: then the entry point stays
                // off rather than taking 9090, which another platform may hold
                int grpcPort = config.ports().grpc(Component.GATEWAY);
                env.put("DIVERGENCE_GATEWAY_GRPC_PORT", Integer.toString(grpcPort > 0 ? grpcPort : -1));
                // API keys live in the gateway's schema; the first admin's key is made once per data folder
                env.put("SPRING_DATASOURCE_URL", config.jdbcUrl());
                env.put("SPRING_DATASOURCE_USERNAME", config.databaseUser());
                env.put("SPRING_DATASOURCE_PASSWORD", config.databasePassword());
                env.put("DIVERGENCE_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY", LocalSecrets.bootstrapAdminKey(config.dataDir()));
                return env;
            }
            env.put("DIVERGENCE_GRPC_PORT", Integer.toString(config.ports().grpc(component)));
            env.put("SPRING_DATASOURCE_URL", config.jdbcUrl());
            env.put("SPRING_DATASOURCE_USERNAME", config.databaseUser());
            env.put("SPRING_DATASOURCE_PASSWORD", config.databasePassword());
            env.put("SPRING_KAFKA_BOOTSTRAP_SERVERS", config.kafkaBootstrapServers());
            if (component == Component.INFERENCE) {
                // the embedded Triton-compatible model server runs inside the inference service
                env.put("TRITON_HTTP_PORT", Integer.toString(config.ports().triton().http()));
                env.put("TRITON_GRPC_PORT", Integer.toString(config.ports().triton().grpc()));
                env.put("TRITON_METRICS_PORT", Integer.toString(config.ports().triton().metrics()));
            }
            if (component == Component.EVALUATION || component == Component.MERGING) {
                // model outputs come from the inference service's gRPC API (divergence.clients.inference.target)
                env.put("DIVERGENCE_INFERENCE_GRPC_TARGET", "localhost:" + config.ports().grpc(Component.INFERENCE));
            }
            if (component == Component.EVALUATION || component == Component.MERGING) {
                // evaluation reads datasets, merging looks models up and registers exported merges, through the
                // training service's gRPC API (divergence.clients.training.target)
                env.put("DIVERGENCE_TRAINING_GRPC_TARGET", "localhost:" + config.ports().grpc(Component.TRAINING));
            }
            return env;
        }
    }
}
