package dev.divergence.platform.grpc;

import dev.divergence.platform.test.grpc.RawBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.StringValue;
import dev.divergence.platform.errors.GrpcStatusMapper;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Bytes that are not a message of the method's request type, sent to the platform's gRPC server over a real socket. */
class UnparseableRequestsTest {

  private static final MethodDescriptor<StringValue, StringValue> ECHO = MethodDescriptor.<StringValue, StringValue>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Echo/Echo")
      .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
      .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
      .build();


  @Test
  void areInvalidArgumentWithTheTrailerNamingTheRequest() throws Exception {
    BindableService echo = () -> ServerServiceDefinition.builder("test.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    GrpcServerLifecycle lifecycle = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(echo), List.of());
    lifecycle.start();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", lifecycle.port()).usePlaintext().build();
    try {
      // field 1 (the string value) holding the bytes C3 28, which are not UTF-8
      byte[] notUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28};
      StatusRuntimeException rejected = catchThrowableOfType(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(channel, ECHO.toBuilder(RawBytes.MARSHALLER, RawBytes.MARSHALLER).build(),
              CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), notUtf8));
      assertThat(rejected.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(rejected.getStatus().getDescription()).startsWith("request: is not a valid message");
      assertThat(rejected.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("request");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      lifecycle.stop();
    }
  }
}
