package dev.divergence.platform.test.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.StringValue;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC fuzzer against a one-method server: a handler that fails on a NUL (which grpc-java reports
 * as UNKNOWN) is found, with the seed; one that answers INVALID_ARGUMENT passes.
 */
class GrpcApiFuzzerTest {

  private static final MethodDescriptor<StringValue, StringValue> ECHO = MethodDescriptor.<StringValue, StringValue>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Echo/Echo")
      .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
      .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
      .build();
  private static final ServiceDescriptor SERVICE = ServiceDescriptor.newBuilder("test.Echo").addMethod(ECHO).build();

  private static final Metadata.Key<String> FIELD = Metadata.Key.of("test-invalid-field", Metadata.ASCII_STRING_MARSHALLER);

  private Server server;
  private ManagedChannel channel;
  private boolean namesTheField;

  private void serve(boolean nulIsAServerFault) throws Exception {
    ServerServiceDefinition definition = ServerServiceDefinition.builder(SERVICE)
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
          if (request.getValue().indexOf('\u0000') >= 0) {
            if (nulIsAServerFault) {
              throw new IllegalStateException("database rejected the NUL");
            }
            Metadata trailers = new Metadata();
            if (namesTheField) {
              trailers.put(FIELD, "value");
            }
            response.onError(Status.INVALID_ARGUMENT.withDescription("value: NUL").asRuntimeException(trailers));
            return;
          }
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(definition).build().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void findsTheHandlerThatFailsOnANul() throws Exception {
    serve(true);
    FuzzReport report = fuzzer().run();
    assertThat(report.failures()).isNotEmpty();
    assertThat(report.failures().get(0).response()).startsWith("UNKNOWN");
    assertThatThrownBy(report::assertNoFailures).hasMessageContaining("seed 7").hasMessageContaining("test.Echo/Echo");
  }

  @Test
  void passesAHandlerThatRejectsIt() throws Exception {
    serve(false);
    // a bare grpc-java server answers unparseable bytes UNKNOWN; platform-commons' server does not
    FuzzReport report = GrpcApiFuzzer.forChannel(channel).service(SERVICE).seed(7).requests(200)
        .example(ECHO, () -> StringValue.of("hello")).deadline(5_000).brokenBytes(false).build().run();
    report.assertNoFailures();
    assertThat(report.outcomes()).containsKeys("Echo OK", "Echo INVALID_ARGUMENT");
  }

  @Test
  void findsAnInvalidArgumentWithoutTheTrailerTheRuleAsksFor() throws Exception {
    serve(false);
    FuzzReport report = GrpcApiFuzzer.forChannel(channel).service(SERVICE).seed(7).requests(200)
        .example(ECHO, () -> StringValue.of("hello")).deadline(5_000).brokenBytes(false)
        .badRequests("a trailer naming the field", (status, trailers) -> trailers.get(FIELD) != null).build().run();
    assertThat(report.outcomes()).containsKey("Echo INVALID_ARGUMENT");
    assertThat(report.failures()).isNotEmpty().allSatisfy(failure -> assertThat(failure.rule())
        .isEqualTo("was INVALID_ARGUMENT without a trailer naming the field"));
  }

  @Test
  void passesAnInvalidArgumentThatNamesTheField() throws Exception {
    namesTheField = true;
    serve(false);
    FuzzReport report = GrpcApiFuzzer.forChannel(channel).service(SERVICE).seed(7).requests(200)
        .example(ECHO, () -> StringValue.of("hello")).deadline(5_000).brokenBytes(false)
        .badRequests("a trailer naming the field", (status, trailers) -> trailers.get(FIELD) != null).build().run();
    report.assertNoFailures();
    assertThat(report.outcomes()).containsKey("Echo INVALID_ARGUMENT");
  }

  private GrpcApiFuzzer fuzzer() {
    return GrpcApiFuzzer.forChannel(channel).service(SERVICE).seed(7).requests(200)
        .example(ECHO, () -> StringValue.of("hello")).deadline(5_000).build();
  }
}
