package dev.divergence.modelserver;

import dev.divergence.platform.test.grpc.RawBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.divergence.model.DjlRuntime;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.ModelMetadataRequest;
import dev.divergence.proto.triton.ModelStatisticsRequest;
import dev.divergence.proto.triton.RepositoryModelLoadRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What the gRPC port answers to input that is wrong below or around the request's meaning: bytes that
 * are not a request message at all, and names far longer than any model's. Both are the caller's
 * fault, so both must end INVALID_ARGUMENT (or the code Triton uses), never UNKNOWN or INTERNAL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcBadInputTest {

    private ModelServer server;
    private ManagedChannel channel;

    @BeforeAll
    void startServerWithAnEmptyRepository() throws IOException {
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), "empty-repository-");
        DjlRuntime.configure(Path.of("target/djl-cache"));
        server = ModelServer.start(repository, "127.0.0.1", 0, List.of());
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterAll
    void stop() {
        channel.shutdownNow();
        server.close();
    }

    private Status sendRaw(MethodDescriptor<?, ?> method, byte[] bytes) {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RawBytes.MARSHALLER, RawBytes.MARSHALLER).build();
        StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                channel, raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), bytes));
        assertThat(failure).as("the server accepted bytes that are not a request message").isNotNull();
        return failure.getStatus();
    }

    @Test
    void truncatedRequestBytesAreAnInvalidArgument() {
        byte[] valid = ModelMetadataRequest.newBuilder().setName("tiny-lm").build().toByteArray();
        // field 1, length 7, but only 3 bytes of the name follow
        byte[] truncated = java.util.Arrays.copyOf(valid, 5);
        Status status = sendRaw(GRPCInferenceServiceGrpc.getModelMetadataMethod(), truncated);
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).startsWith("request: ");
    }

    @Test
    void aStringFieldThatIsNotUtf8IsAnInvalidArgument() {
        // field 1 (name, a proto3 string) holding C3 28: a lead byte followed by a non-continuation byte
        byte[] notUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28};
        Status status = sendRaw(GRPCInferenceServiceGrpc.getModelStatisticsMethod(), notUtf8);
        assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status.getDescription()).startsWith("request: ");
    }

    @Test
    void anUnknownModelWithAVeryLongNameIsAnsweredWithABoundedDescription() {
        String name = "m".repeat(10_000);
        StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () ->
                GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .modelMetadata(ModelMetadataRequest.newBuilder().setName(name).build()));
        assertThat(failure).isNotNull();
        // Triton answers an unknown model INVALID_ARGUMENT; before the fix the client saw INTERNAL "http2 exception"
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        String description = failure.getStatus().getDescription();
        assertThat(description).startsWith("Request for unknown model: 'mmmm");
        assertThat(description.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(StatusDescriptions.MAX_BYTES + 100);
    }

    @Test
    void aLongNameOfThreeByteCharactersIsAlsoBounded() {
        // 3,000 characters of 3 UTF-8 bytes each: a cut by characters alone would still send 27,000 percent-encoded bytes
        String name = "模".repeat(3_000);
        StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () ->
                GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .modelStatistics(ModelStatisticsRequest.newBuilder().setName(name).build()));
        assertThat(failure).isNotNull();
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(failure.getStatus().getDescription()).contains("模模模");
        assertThat(failure.getStatus().getDescription().getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(StatusDescriptions.MAX_BYTES + 100);
    }

    @Test
    void loadingANameThatNoFolderCanHaveIsAnInvalidArgumentNamingTheField() {
        // before: a NUL made the JDK refuse the path and the call ended INTERNAL "Nul character not allowed"
        for (String name : List.of("tiny\u0000lm", "tiny\u0007lm", "../outside", "a/b", "")) {
            StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () ->
                    GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName(name).build()));
            assertThat(failure).as(name).isNotNull();
            assertThat(failure.getStatus().getCode()).as(name).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(failure.getStatus().getDescription()).as(name).startsWith("model_name: ");
        }
    }
}
