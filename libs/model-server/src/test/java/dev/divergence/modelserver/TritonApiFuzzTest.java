package dev.divergence.modelserver;

import dev.divergence.platform.test.fuzz.GrpcApiFuzzer;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.ModelConfigRequest;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelMetadataRequest;
import dev.divergence.proto.triton.ModelReadyRequest;
import dev.divergence.proto.triton.ModelStatisticsRequest;
import dev.divergence.proto.triton.RepositoryModelUnloadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Fuzzes the model server's Triton gRPC API (the port Triton clients use) from Triton's proto
 * descriptors: no call may end INTERNAL, UNKNOWN, DATA_LOSS or UNIMPLEMENTED, nor run out its
 * deadline. Requests start from valid ones for a language model and a classifier; a tenth are bytes
 * that do not parse at all. The model server keeps no database rows, so there is nothing to compare
 * for rejected calls. The seed and the request count are {@code -Dfuzz.seed} and {@code -Dfuzz.requests}
 * (defaults in platform-test's {@code Fuzzing}); the report prints both and every failing request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TritonApiFuzzTest {

    private static final String LM = FuzzedModelServer.LM;
    private static final String CLASSIFIER = FuzzedModelServer.CLASSIFIER;
    private static final String SPARE = FuzzedModelServer.SPARE;
    /** About 1500 requests take a few tens of seconds on two shared cores. */
    private static final int REQUESTS = 1500;

    private FuzzedModelServer server;
    private ManagedChannel channel;

    @BeforeAll
    void startServer() throws IOException {
        server = FuzzedModelServer.start("fuzz-repository-");
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
                .maxInboundMessageSize(ModelServer.MAX_MESSAGE_BYTES).build();
    }

    @AfterAll
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void tritonApiAnswersEveryMutatedRequestWithoutAServerFault() {
        GrpcApiFuzzer.Builder fuzzer = GrpcApiFuzzer.forChannel(channel)
                .service(GRPCInferenceServiceGrpc.getServiceDescriptor())
                .requests(Integer.getInteger("fuzz.requests", REQUESTS))
                .brokenBytes(true)
                .deadline(20_000)
                // Triton answers the load of a model that is not in the repository INTERNAL ("failed to poll from
                // model repository", docs/inference.md), and a mutated name is almost never in it; names no folder
                // can have are INVALID_ARGUMENT (GrpcBadInputTest)
                .skip(GRPCInferenceServiceGrpc.getRepositoryModelLoadMethod())
                .example(GRPCInferenceServiceGrpc.getRepositoryModelUnloadMethod(),
                        () -> RepositoryModelUnloadRequest.newBuilder().setModelName(SPARE).build());
        for (String model : List.of(LM, CLASSIFIER)) {
            fuzzer.example(GRPCInferenceServiceGrpc.getModelReadyMethod(), () -> ModelReadyRequest.newBuilder().setName(model).build())
                    .example(GRPCInferenceServiceGrpc.getModelMetadataMethod(), () -> ModelMetadataRequest.newBuilder().setName(model).build())
                    .example(GRPCInferenceServiceGrpc.getModelConfigMethod(), () -> ModelConfigRequest.newBuilder().setName(model).build())
                    .example(GRPCInferenceServiceGrpc.getModelStatisticsMethod(),
                            () -> ModelStatisticsRequest.newBuilder().setName(model).build());
        }
        fuzzer.example(GRPCInferenceServiceGrpc.getModelInferMethod(), TritonApiFuzzTest::languageModelRequest)
                .example(GRPCInferenceServiceGrpc.getModelInferMethod(), TritonApiFuzzTest::classifierRequest);
        fuzzer.build().run().assertNoFailures();
    }

    private static ModelInferRequest languageModelRequest() {
        return ModelInferRequest.newBuilder().setModelName(LM)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input_ids").setDatatype("INT64")
                        .addShape(1).addShape(3)
                        .setContents(dev.divergence.proto.triton.InferTensorContents.newBuilder().addInt64Contents(1).addInt64Contents(2).addInt64Contents(3)))
                .build();
    }

    private static ModelInferRequest classifierRequest() {
        dev.divergence.proto.triton.InferTensorContents.Builder features = dev.divergence.proto.triton.InferTensorContents.newBuilder();
        for (int i = 0; i < FuzzedModelServer.FEATURES; i++) {
            features.addFp32Contents(i / (float) FuzzedModelServer.FEATURES);
        }
        return ModelInferRequest.newBuilder().setModelName(CLASSIFIER)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
                        .addShape(1).addShape(FuzzedModelServer.FEATURES).setContents(features))
                .build();
    }
}
