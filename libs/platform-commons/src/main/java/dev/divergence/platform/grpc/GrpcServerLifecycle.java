package dev.divergence.platform.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the service's gRPC server with every {@link BindableService} bean, plus the standard health
 * service (SERVING once the server is up, NOT_SERVING while it drains) and server reflection. A request
 * that cannot be parsed is the caller's error: INVALID_ARGUMENT, not grpc-java's INTERNAL.
 */
public class GrpcServerLifecycle implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(GrpcServerLifecycle.class);

  private final GrpcServerProperties properties;
  private final List<BindableService> services;
  private final List<ServerInterceptor> interceptors;
  // a fresh one per start: stop() leaves the old one in its terminal NOT_SERVING state, and a
  // lifecycle can be started again (e.g. a paused and resumed test application context)
  private volatile HealthStatusManager health = new HealthStatusManager();
  private volatile Server server;

  public GrpcServerLifecycle(
      GrpcServerProperties properties, List<BindableService> services, List<ServerInterceptor> interceptors) {
    this.properties = properties;
    this.services = services;
    this.interceptors = interceptors;
  }

  @Override
  public void start() {
    health = new HealthStatusManager();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(properties.port()))
        .maxInboundMessageSize(properties.maxInboundMessageBytes())
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    for (BindableService service : services) {
      builder.addService(UnparseableRequests.reportedAsInvalidArgument(ServerInterceptors.intercept(service, interceptors)));
    }
    try {
      server = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("gRPC server could not listen on port " + properties.port(), e);
    }
    for (BindableService service : services) {
      health.setStatus(service.bindService().getServiceDescriptor().getName(),
          io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }
    log.info("gRPC server listening on port {} with {} service(s)", server.getPort(), services.size());
  }

  @Override
  public void stop() {
    Server running = server;
    if (running == null) {
      return;
    }
    shutdownGracefully(running, health, java.time.Duration.ofSeconds(properties.shutdownGraceSeconds()));
    server = null;
  }

  /**
   * Tells health checkers the server is going, lets calls in flight finish within {@code grace}, then
   * cancels what is left. Shared with the gateway's gRPC entry point.
   */
  public static void shutdownGracefully(Server running, HealthStatusManager health, java.time.Duration grace) {
    health.enterTerminalState();
    running.shutdown();
    try {
      if (!running.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        running.shutdownNow();
      }
    } catch (InterruptedException e) {
      running.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }

  /** The bound port (useful when configured with 0). */
  public int port() {
    Server running = server;
    if (running == null) {
      throw new IllegalStateException("gRPC server is not running");
    }
    return running.getPort();
  }

  public HealthStatusManager health() {
    return health;
  }
}
