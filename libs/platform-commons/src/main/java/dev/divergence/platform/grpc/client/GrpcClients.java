package dev.divergence.platform.grpc.client;

import io.grpc.Channel;
import dev.divergence.platform.tenancy.IdentityPolicy;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The channels a service uses to call other services, one per configured name
 * ({@code divergence.clients.<name>.*}, see {@link GrpcClientProperties}), created on first use
 * and shared by every caller. Every call through them gets a deadline, tenant, request id, caller
 * name and trace context, and is retried on UNAVAILABLE by gRPC's service config. Closing (the
 * application context does so on shutdown) shuts every channel down.
 *
 * <pre>{@code
 * ScoringServiceGrpc.ScoringServiceBlockingStub scoring =
 *     ScoringServiceGrpc.newBlockingStub(clients.channel("inference"));
 * }</pre>
 */
public class GrpcClients implements AutoCloseable {

  private final Map<String, GrpcClientProperties> settings;
  private final String caller;
  private final List<ClientInterceptor> extraInterceptors;
  private final IdentityPolicy identity;
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();
  private final Map<String, ManagedChannel> managed = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param settings the clients by name
   * @param caller the calling service's name, sent with every call
   * @param extraInterceptors applied after the platform's own (e.g. Micrometer's observation
   *     interceptor, which opens a client span and sends the trace context)
   */
  public GrpcClients(Map<String, GrpcClientProperties> settings, String caller, List<ClientInterceptor> extraInterceptors) {
    this(settings, caller, extraInterceptors, IdentityPolicy.trustHeaders());
  }

  /**
   * As above, signing each call's identity with {@code identity}'s secret (when it has one), so the
   * called service, which verifies identities, believes the tenant.
   */
  public GrpcClients(Map<String, GrpcClientProperties> settings, String caller, List<ClientInterceptor> extraInterceptors,
      IdentityPolicy identity) {
    this.settings = Map.copyOf(settings);
    this.caller = caller;
    this.extraInterceptors = List.copyOf(extraInterceptors);
    this.identity = identity;
  }

  /**
   * The channel of the client called {@code name}; the same one on every call.
   *
   * @throws IllegalStateException when {@code divergence.clients.<name>.target} is not set or another
   *     setting is invalid (the message names the property), or after {@link #close()}
   */
  public Channel channel(String name) {
    if (closed) {
      throw new IllegalStateException("gRPC clients are closed (the application is shutting down)");
    }
    return channels.computeIfAbsent(name, this::open);
  }

  /** The settings the client called {@code name} uses (defaults where nothing is configured). */
  public GrpcClientProperties settings(String name) {
    return settings.getOrDefault(name, GrpcClientProperties.forTarget(null));
  }

  private Channel open(String name) {
    GrpcClientProperties client = settings(name);
    client.validate(name);
    ManagedChannel channel = NettyChannelBuilder.forTarget(client.target())
        .usePlaintext()
        // the retry policy comes from here, never from name resolution (DNS TXT records)
        .defaultServiceConfig(client.serviceConfig())
        .disableServiceConfigLookUp()
        .enableRetry()
        .maxRetryAttempts(Math.max(5, client.maxAttempts()))
        .perRpcBufferLimit(GrpcClientProperties.RETRY_BUFFER_PER_CALL_BYTES)
        .maxInboundMessageSize(client.maxInboundMessageBytes())
        .build();
    managed.put(name, channel);
    // ClientInterceptors.intercept calls the last interceptor first: the observation interceptor
    // (if any) opens its span, then the call context is added and the deadline set
    List<ClientInterceptor> interceptors = new ArrayList<>();
    interceptors.add(new CallContextClientInterceptor(client.deadline(), caller, identity.tokens().orElse(null)));
    interceptors.addAll(extraInterceptors);
    return ClientInterceptors.intercept(channel, interceptors);
  }

  /** Shuts every channel down, letting calls in flight finish for up to 5 seconds. */
  @Override
  public void close() {
    closed = true;
    for (ManagedChannel channel : managed.values()) {
      channel.shutdown();
    }
    try {
      for (ManagedChannel channel : managed.values()) {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      managed.values().forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
