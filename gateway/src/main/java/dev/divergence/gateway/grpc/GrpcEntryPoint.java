package dev.divergence.gateway.grpc;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServiceDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The gRPC server on :9090: the forwarding registry, the standard health service (SERVING while the
 * gateway is up, NOT_SERVING while it stops) and server reflection of the routed APIs. Health and
 * reflection need no credentials, as at every service: they hold no tenant's data.
 */
public class GrpcEntryPoint implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(GrpcEntryPoint.class);

  private final GrpcGatewayProperties properties;
  private final Function<Map<String, ForwardingHandler.Route>, ForwardingHandler> handlers;
  private volatile Server server;
  private volatile HealthStatusManager health;
  private volatile List<ManagedChannel> channels = List.of();

  GrpcEntryPoint(GrpcGatewayProperties properties, Function<Map<String, ForwardingHandler.Route>, ForwardingHandler> handlers) {
    this.properties = properties;
    this.handlers = handlers;
  }

  @Override
  public void start() {
    Map<String, ManagedChannel> byService = new LinkedHashMap<>();
    properties.services().forEach((name, service) -> byService.put(name, NettyChannelBuilder.forTarget(service.target())
        .usePlaintext()
        .maxInboundMessageSize(properties.maxInboundMessageBytes())
        .build()));
    Map<String, ForwardingHandler.Route> routes = new LinkedHashMap<>();
    properties.packageOwners().forEach((protoPackage, name) -> routes.put(protoPackage,
        new ForwardingHandler.Route(name, properties.services().get(name).target(), byService.get(name))));
    List<ServiceDescriptor> routed = RoutedApis.find(service -> routes.containsKey(service.substring(0, Math.max(0, service.lastIndexOf('.')))));
    health = new HealthStatusManager();
    Server built = NettyServerBuilder.forAddress(new InetSocketAddress(properties.port()))
        .maxInboundMessageSize(properties.maxInboundMessageBytes())
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .fallbackHandlerRegistry(new ProxyRegistry(handlers.apply(routes), routed))
        .build();
    try {
      server = built.start();
    } catch (IOException e) {
      byService.values().forEach(ManagedChannel::shutdownNow);
      throw new UncheckedIOException("the gateway's gRPC entry point could not listen on port " + properties.port()
          + " (divergence.gateway.grpc.port)", e);
    }
    channels = List.copyOf(byService.values());
    log.info("gRPC entry point listening on port {}: {} routed service(s) with descriptors, packages {}",
        server.getPort(), routed.size(), routes.keySet());
  }

  @Override
  public void stop() {
    Server running = server;
    if (running == null) {
      return;
    }
    try {
      GrpcServerLifecycle.shutdownGracefully(running, health, properties.shutdownGrace());
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      channels = List.of();
      server = null;
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
      throw new IllegalStateException("the gRPC entry point is not running");
    }
    return running.getPort();
  }
}
