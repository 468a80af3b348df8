// A generic gRPC client driven by the descriptor set of dev.divergence:shared-proto: no generated code.
// It calls any method of any platform API with a JSON request and prints each response as one line of
// JSON (a server stream prints one line per message). Run it as a single-file program (Java 21+) with a
// classpath holding shared-proto (for the descriptor set, or set DIVERGENCE_PROTOSET to the .binpb file
// from the protos jar) and a gRPC transport (grpc-netty-shaded or grpc-netty), see docs/integration.md:
//
//   java -cp "$CLASSPATH" GrpcCall.java dev.divergence.training.v1.TrainingService/ListJobs '{"pageSize": 2}'
//
//   DIVERGENCE_GRPC_TARGET    host:port of the gateway's gRPC entry point (default localhost:9090)
//   DIVERGENCE_GRPC_TLS       "true" for a TLS endpoint (default plaintext, as ./platform up serves)
//   DIVERGENCE_GRPC_DEADLINE  seconds for the whole call, streams included (default 30)
//   DIVERGENCE_API_KEY        sent as the x-api-key metadata
//   DIVERGENCE_IDENTITY       only for the platform's own tests that call a service's port directly:
//                             a signed identity token, sent as x-divergence-identity (docs/security.md)
// Exit status: 0, or 1 with "<CODE>: <description> [fields: ...]" on stderr when the call fails.

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

public class GrpcCall {

  static final String DESCRIPTOR_SET = "META-INF/proto/divergence-apis.binpb";

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !args[0].contains("/")) {
      System.err.println("usage: GrpcCall <full.service.Name>/<Method> '<request as JSON>'");
      System.exit(2);
    }
    String serviceName = args[0].substring(0, args[0].lastIndexOf('/'));
    String methodName = args[0].substring(args[0].lastIndexOf('/') + 1);
    MethodDescriptor method = findService(loadDescriptorSet(), serviceName).findMethodByName(methodName);
    if (method == null || method.isClientStreaming()) {
      System.err.println(args[0] + ": no such unary or server-streaming method");
      System.exit(2);
    }
    DynamicMessage.Builder request = DynamicMessage.newBuilder(method.getInputType());
    JsonFormat.parser().merge(args[1], request);

    io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod =
        io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
            .setType(method.isServerStreaming() ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING
                : io.grpc.MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(serviceName, methodName))
            .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
            .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
            .build();

    String target = System.getenv().getOrDefault("DIVERGENCE_GRPC_TARGET", "localhost:9090");
    ManagedChannel managed = Grpc.newChannelBuilder(target, "true".equals(System.getenv("DIVERGENCE_GRPC_TLS"))
        ? TlsChannelCredentials.create() : InsecureChannelCredentials.create()).build();
    Metadata credentials = new Metadata();
    if (System.getenv("DIVERGENCE_API_KEY") != null) {
      credentials.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), System.getenv("DIVERGENCE_API_KEY"));
    }
    if (System.getenv("DIVERGENCE_IDENTITY") != null) {
      credentials.put(Metadata.Key.of("x-divergence-identity", Metadata.ASCII_STRING_MARSHALLER), System.getenv("DIVERGENCE_IDENTITY"));
    }
    Channel channel = ClientInterceptors.intercept(managed, MetadataUtils.newAttachHeadersInterceptor(credentials));
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(
        Long.parseLong(System.getenv().getOrDefault("DIVERGENCE_GRPC_DEADLINE", "30")), TimeUnit.SECONDS);
    JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
    int exit = 0;
    try {
      if (method.isServerStreaming()) {
        Iterator<DynamicMessage> responses = ClientCalls.blockingServerStreamingCall(channel, grpcMethod, options, request.build());
        while (responses.hasNext()) {
          System.out.println(json.print(responses.next()));
        }
      } else {
        System.out.println(json.print(ClientCalls.blockingUnaryCall(channel, grpcMethod, options, request.build())));
      }
    } catch (StatusRuntimeException e) {
      Metadata trailers = Status.trailersFromThrowable(e);
      String fields = trailers == null ? null
          : trailers.get(Metadata.Key.of("divergence-invalid-fields", Metadata.ASCII_STRING_MARSHALLER));
      System.err.println(e.getStatus().getCode() + ": " + e.getStatus().getDescription() + (fields == null ? "" : " [fields: " + fields + "]"));
      exit = 1;
    } finally {
      managed.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }

  /** The descriptor set from DIVERGENCE_PROTOSET, else from shared-proto on the classpath. */
  static FileDescriptorSet loadDescriptorSet() throws Exception {
    String file = System.getenv("DIVERGENCE_PROTOSET");
    try (InputStream in = file != null ? Files.newInputStream(Path.of(file))
        : GrpcCall.class.getClassLoader().getResourceAsStream(DESCRIPTOR_SET)) {
      if (in == null) {
        throw new IllegalStateException(DESCRIPTOR_SET + " is not on the classpath: add dev.divergence:shared-proto or set DIVERGENCE_PROTOSET");
      }
      return FileDescriptorSet.parseFrom(in);
    }
  }

  /** Links the set's files (it holds their imports too) and finds the service by its full name. */
  static ServiceDescriptor findService(FileDescriptorSet set, String fullName) throws Exception {
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    set.getFileList().forEach(f -> protos.put(f.getName(), f));
    Map<String, FileDescriptor> linked = new HashMap<>();
    for (String name : protos.keySet()) {
      for (ServiceDescriptor service : link(name, protos, linked).getServices()) {
        if (service.getFullName().equals(fullName)) {
          return service;
        }
      }
    }
    throw new IllegalArgumentException("no service " + fullName + " in the descriptor set");
  }

  static FileDescriptor link(String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> linked) throws Exception {
    FileDescriptor done = linked.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = link(proto.getDependency(i), protos, linked);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    linked.put(name, file);
    return file;
  }
}
