package dev.divergence.modelserver;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.modelserver.repository.ModelRepository;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Triton-compatible server: Triton's GRPCInferenceService (plus gRPC health and
 * reflection) over a Triton-layout model repository, with models loaded explicitly. Usable
 * in-process ({@link #start}) or standalone ({@link #main}).
 */
public final class ModelServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelServer.class);
    /** Large enough for full-vocabulary logits of a batch of requests. */
    public static final int MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

    private final NDManager manager;
    private final ServedModels models;
    private final Server server;
    private final AtomicBoolean ready = new AtomicBoolean();
    private MetricsEndpoint metrics;
    private RestEndpoint rest;

    /**
     * Triton's three ports: gRPC (8001), KServe v2 REST (8000) and Prometheus metrics (8002);
     * 0 picks a free port, -1 leaves the REST or metrics endpoint off.
     */
    public record Ports(int grpc, int http, int metrics) {

        public static Ports tritonDefaults() {
            return new Ports(8001, 8000, 8002);
        }

        public static Ports grpcOnly(int grpc) {
            return new Ports(grpc, -1, -1);
        }
    }

    private ModelServer(Path repository, InetSocketAddress address) {
        this.manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        this.models = new ServedModels(new ModelRepository(repository), manager);
        HealthStatusManager health = new HealthStatusManager();
        this.server = NettyServerBuilder.forAddress(address)
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                // bytes that are not a request message are the caller's error: INVALID_ARGUMENT, not grpc-java's UNKNOWN
                .addService(UnparseableRequests.reportedAsInvalidArgument(new InferenceService(models, ready::get).bindService()))
                .addService(UnparseableRequests.reportedAsInvalidArgument(health.getHealthService().bindService()))
                .addService(UnparseableRequests.reportedAsInvalidArgument(ProtoReflectionServiceV1.newInstance().bindService()))
                .build();
    }

    /**
     * Starts serving on {@code port} (0 picks a free one) and loads {@code startupModels}; the
     * server reports ready once they are loaded. A model that fails to load stops the start.
     */
    public static ModelServer start(Path repository, String host, int port, List<String> startupModels) {
        return start(repository, host, Ports.grpcOnly(port), startupModels);
    }

    /** As {@link #start(Path, String, int, List)}, with the REST and metrics endpoints as {@code ports} say. */
    public static ModelServer start(Path repository, String host, Ports ports, List<String> startupModels) {
        int port = ports.grpc();
        ModelServer server = new ModelServer(repository, new InetSocketAddress(host, port));
        try {
            server.server.start();
            if (ports.metrics() >= 0) {
                server.metrics = new MetricsEndpoint(server.models, new InetSocketAddress(host, ports.metrics()));
            }
            if (ports.http() >= 0) {
                server.rest = new RestEndpoint(server.models, server.ready::get, new InetSocketAddress(host, ports.http()));
            }
            for (String model : startupModels) {
                server.models.load(model);
            }
            server.ready.set(true);
            LOG.info("model server on port {} serving repository {}", server.port(), repository);
            return server;
        } catch (IOException e) {
            server.close();
            throw new UncheckedIOException("cannot start the model server on port " + port, e);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    public int port() {
        return server.getPort();
    }

    /** The metrics port, or -1 when metrics are off. */
    public int metricsPort() {
        return metrics == null ? -1 : metrics.port();
    }

    /** The KServe v2 REST port, or -1 when REST is off. */
    public int httpPort() {
        return rest == null ? -1 : rest.port();
    }

    public ServedModels models() {
        return models;
    }

    @Override
    public void close() {
        ready.set(false);
        if (metrics != null) {
            metrics.close();
        }
        if (rest != null) {
            rest.close();
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        models.close();
        manager.close();
    }

    /**
     * {@code ModelServer --model-repository=<dir> [--grpc-port=8001] [--http-port=8000] [--metrics-port=8002] [--load-model=<name>]...}
     * (Triton's flag names); libtorch unpacks into {@code DJL_CACHE_DIR} or ./.data/djl.
     */
    public static void main(String[] args) throws InterruptedException {
        Path repository = null;
        int port = 8001;
        int metricsPort = 8002;
        int httpPort = 8000;
        List<String> load = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--model-repository=")) {
                repository = Path.of(arg.substring("--model-repository=".length()));
            } else if (arg.startsWith("--grpc-port=")) {
                port = Integer.parseInt(arg.substring("--grpc-port=".length()));
            } else if (arg.startsWith("--http-port=")) {
                httpPort = Integer.parseInt(arg.substring("--http-port=".length()));
            } else if (arg.startsWith("--metrics-port=")) {
                metricsPort = Integer.parseInt(arg.substring("--metrics-port=".length()));
            } else if (arg.startsWith("--load-model=")) {
                load.add(arg.substring("--load-model=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + arg
                        + "; expected --model-repository=<dir> [--grpc-port=<port>] [--http-port=<port>] [--metrics-port=<port>] [--load-model=<name>]...");
            }
        }
        if (repository == null) {
            throw new IllegalArgumentException("--model-repository=<dir> is required");
        }
        DjlRuntime.configure(Path.of(System.getenv().getOrDefault("DJL_CACHE_DIR", ".data/djl")));
        ModelServer server = start(repository, "0.0.0.0", new Ports(port, httpPort, metricsPort), load);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "model-server-shutdown"));
        server.server.awaitTermination();
    }
}
