package dev.divergence.gateway.grpc;

import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's gRPC methods: every method name resolves to the forwarding handler, which moves the
 * messages as bytes (no generated stubs; a service's newer methods pass through as well). The
 * routed services the gateway has descriptors for ({@link RoutedApis}) are registered by their real
 * method kinds and schema, which is what server reflection lists; any other name still reaches the
 * handler, which forwards it by package or answers UNIMPLEMENTED. Health and reflection are
 * registered with the server directly and so never get here.
 */
final class ProxyRegistry extends HandlerRegistry {

  /** Messages as the bytes on the wire: the gateway never parses what it forwards. */
  enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private final ForwardingHandler handler;
  private final List<ServerServiceDefinition> known;
  private final Map<String, ServerMethodDefinition<?, ?>> knownMethods = new HashMap<>();

  ProxyRegistry(ForwardingHandler handler, List<ServiceDescriptor> routed) {
    this.handler = handler;
    this.known = routed.stream().map(this::forwarded).toList();
    known.forEach(service -> service.getMethods().forEach(method ->
        knownMethods.put(method.getMethodDescriptor().getFullMethodName(), method)));
  }

  /** The same service, schema (for reflection) and method kinds, with every method forwarding raw bytes. */
  private ServerServiceDefinition forwarded(ServiceDescriptor generated) {
    ServiceDescriptor.Builder raw = ServiceDescriptor.newBuilder(generated.getName())
        .setSchemaDescriptor(generated.getSchemaDescriptor());
    List<MethodDescriptor<byte[], byte[]>> methods = generated.getMethods().stream()
        .map(method -> method.toBuilder(RawBytes.INSTANCE, RawBytes.INSTANCE).build())
        .toList();
    methods.forEach(raw::addMethod);
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(raw.build());
    methods.forEach(method -> definition.addMethod(method, handler));
    return definition.build();
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    ServerMethodDefinition<?, ?> method = knownMethods.get(methodName);
    if (method != null) {
      return method;
    }
    // not built per name ahead of time: a caller can send any name, and each is answered (forwarded by
    // its package, or UNIMPLEMENTED after authentication) without the registry growing
    return ServerMethodDefinition.create(MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNKNOWN)
        .setFullMethodName(methodName)
        .setRequestMarshaller(RawBytes.INSTANCE)
        .setResponseMarshaller(RawBytes.INSTANCE)
        .build(), handler);
  }

  /** What server reflection lists: the routed services whose descriptors the gateway has. */
  @Override
  public List<ServerServiceDefinition> getServices() {
    return known;
  }
}
