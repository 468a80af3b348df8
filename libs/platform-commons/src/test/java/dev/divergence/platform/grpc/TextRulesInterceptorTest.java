package dev.divergence.platform.grpc;

import dev.divergence.platform.test.grpc.RawBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.JobMetrics;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.triton.InferParameter;
import dev.divergence.proto.triton.ModelInferRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Strings in gRPC requests follow the same rules as REST: a NUL anywhere is INVALID_ARGUMENT naming
 * the field by its JSON path, and the service never sees the request. Bytes that do not parse as the
 * request type are INVALID_ARGUMENT too, not grpc-java's INTERNAL.
 */
class TextRulesInterceptorTest {

  private final AtomicInteger reached = new AtomicInteger();
  private GrpcServerLifecycle server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    TrainingServiceGrpc.TrainingServiceImplBase service = new TrainingServiceGrpc.TrainingServiceImplBase() {
      @Override
      public void getJobMetrics(GetJobMetricsRequest request, StreamObserver<JobMetrics> response) {
        reached.incrementAndGet();
        if (request.getJobId().startsWith("long-")) {
          // a message quoting a caller's long non-ASCII id, as a NotFoundException does
          throw new dev.divergence.platform.errors.NotFoundException("job", request.getJobId());
        }
        response.onNext(JobMetrics.newBuilder().setJobId(request.getJobId()).build());
        response.onCompleted();
      }
    };
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(service),
        List.of(new ExceptionMappingInterceptor(), new TextRulesInterceptor()));
    server.start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop();
  }

  @Test
  void walkerNamesNestedRepeatedAndMapFieldsByTheirJsonPath() {
    SubmitJobRequest nested = SubmitJobRequest.newBuilder().setDisplayName("fine")
        .setSpec(JobSpec.newBuilder().setModel("m").setDistillation(DistillationSpec.newBuilder().setTeacherModel("t\u0000")))
        .build();
    assertThat(TextRulesInterceptor.violationsIn(nested)).extracting(FieldViolation::field)
        .containsExactly("spec.distillation.teacherModel");

    GetJobMetricsRequest repeated = GetJobMetricsRequest.newBuilder().setJobId("j").addNames("loss").addNames("k\u0000l").build();
    assertThat(TextRulesInterceptor.violationsIn(repeated)).extracting(FieldViolation::field).containsExactly("names[1]");

    ModelInferRequest maps = ModelInferRequest.newBuilder().setModelName("tiny")
        .putParameters("priority", InferParameter.newBuilder().setStringParam("hi\u0000gh").build())
        .putParameters("bad\u0000key", InferParameter.newBuilder().setInt64Param(1).build())
        .build();
    assertThat(TextRulesInterceptor.violationsIn(maps))
        .containsExactlyInAnyOrder(
            new FieldViolation("parameters[priority].stringParam", "must not contain the control character U+0000 (at index 2)"),
            new FieldViolation("parameters", "has a key that must not contain the control character U+0000 (at index 3)"));

    assertThat(TextRulesInterceptor.violationsIn(SubmitJobRequest.newBuilder().setDisplayName("tab\tok").build())).isEmpty();
  }

  @Test
  void nulInARequestIsInvalidArgumentNamingTheFieldAndTheServiceIsNotCalled() {
    var stub = TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> stub.getJobMetrics(GetJobMetricsRequest.newBuilder().setJobId("j").addNames("a\u0000").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getStatus().getDescription()).contains("names[0]: must not contain the control character U+0000");
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("names[0]");
        });
    assertThat(reached).hasValue(0);

    assertThat(stub.getJobMetrics(GetJobMetricsRequest.newBuilder().setJobId("ok").build()).getJobId()).isEqualTo("ok");
    assertThat(reached).hasValue(1);
  }

  @Test
  void hundredsOfBadFieldsAreStillOneInvalidArgumentNotAnOversizedTrailer() {
    GetJobMetricsRequest.Builder request = GetJobMetricsRequest.newBuilder().setJobId("j");
    for (int i = 0; i < 300; i++) {
      request.addNames("bad name \u0000 number " + i);
    }
    var stub = TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> stub.getJobMetrics(request.build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getStatus().getDescription()).startsWith("names[0]: must not contain");
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).startsWith("names[0],names[1],");
        });
    assertThat(reached).hasValue(0);
  }

  @Test
  void aLongNonAsciiMessageStillArrivesWithItsOwnCode() {
    // 3000 three-byte characters: 1000 of them percent-encoded are 9000 bytes, above grpc-java's 8 KiB
    String id = "long-" + "\u20ac".repeat(3000);
    var stub = TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> stub.getJobMetrics(GetJobMetricsRequest.newBuilder().setJobId(id).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(error.getStatus().getDescription()).contains("long-\u20ac\u20ac").contains("more characters");
          assertThat(error.getStatus().getDescription().getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
              .isLessThanOrEqualTo(GrpcStatusMapper.MAX_HEADER_BYTES + 40);
        });
  }

  @Test
  void bytesThatAreNotTheRequestTypeAreInvalidArgumentNotInternal() {
    MethodDescriptor<byte[], byte[]> raw = TrainingServiceGrpc.getGetJobMetricsMethod()
        .toBuilder(RawBytes.MARSHALLER, RawBytes.MARSHALLER).build();
    // field 1 (job_id, a proto3 string) holding the bytes C3 28: not UTF-8
    byte[] invalidUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28};
    // field 1 announcing 10 bytes of which 1 arrives
    byte[] truncated = {0x0a, 0x0a, 0x41};
    for (byte[] request : List.of(invalidUtf8, truncated)) {
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), request))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
    assertThat(reached).hasValue(0);
  }
}
