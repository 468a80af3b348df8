package dev.divergence.modelserver;

import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelConfigRequest;
import dev.divergence.proto.triton.ModelConfigResponse;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferResponse;
import dev.divergence.proto.triton.ModelInput;
import dev.divergence.proto.triton.ModelMetadataRequest;
import dev.divergence.proto.triton.ModelMetadataResponse;
import dev.divergence.proto.triton.ModelMetadataResponse.TensorMetadata;
import dev.divergence.proto.triton.ModelOutput;
import dev.divergence.proto.triton.ModelReadyRequest;
import dev.divergence.proto.triton.ModelReadyResponse;
import dev.divergence.proto.triton.ModelStatisticsRequest;
import dev.divergence.proto.triton.ModelStatisticsResponse;
import dev.divergence.proto.triton.ModelStreamInferResponse;
import dev.divergence.proto.triton.RepositoryIndexRequest;
import dev.divergence.proto.triton.RepositoryIndexResponse;
import dev.divergence.proto.triton.RepositoryModelLoadRequest;
import dev.divergence.proto.triton.RepositoryModelLoadResponse;
import dev.divergence.proto.triton.RepositoryModelUnloadRequest;
import dev.divergence.proto.triton.RepositoryModelUnloadResponse;
import dev.divergence.proto.triton.ServerLiveRequest;
import dev.divergence.proto.triton.ServerLiveResponse;
import dev.divergence.proto.triton.ServerMetadataRequest;
import dev.divergence.proto.triton.ServerMetadataResponse;
import dev.divergence.proto.triton.ServerReadyRequest;
import dev.divergence.proto.triton.ServerReadyResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Triton's GRPCInferenceService over {@link ServedModels}. */
final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);
    static final String SERVER_NAME = "divergence-model-server";
    static final String SERVER_VERSION = "0.1.0";
    /** Only protocol extensions this server really implements. */
    static final List<String> EXTENSIONS = List.of("model_repository", "model_configuration", "statistics", "binary_tensor_data");

    private final ServedModels models;
    private final InferenceEngine engine;
    private final Supplier<Boolean> ready;

    InferenceService(ServedModels models, Supplier<Boolean> ready) {
        this.models = models;
        this.engine = new InferenceEngine(models);
        this.ready = ready;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, () -> ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, () -> ServerReadyResponse.newBuilder().setReady(ready.get()).build());
    }

    /** Unknown models are simply not ready: Triton answers false, not an error. */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        answer(out, () -> ModelReadyResponse.newBuilder().setReady(models.isReady(request.getName(), request.getVersion())).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(out, () -> ServerMetadataResponse.newBuilder().setName(SERVER_NAME).setVersion(SERVER_VERSION)
                .addAllExtensions(EXTENSIONS).build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        answer(out, () -> metadata(models.resolve(request.getName(), request.getVersion())));
    }

    /** Model metadata as both transports return it: shapes with the batch dimension as -1. */
    static ModelMetadataResponse metadata(LoadedVersion version) {
        ModelConfig config = version.config();
        ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder().setName(config.getName())
                .addVersions(Long.toString(version.version())).setPlatform(config.getPlatform().isEmpty() ? config.getBackend() : config.getPlatform());
        boolean batched = config.getMaxBatchSize() > 0;
        for (ModelInput input : config.getInputList()) {
            metadata.addInputs(tensor(input.getName(), TensorType.wireNameOf(input.getDataType()), input.getDimsList(), batched));
        }
        for (ModelOutput output : config.getOutputList()) {
            metadata.addOutputs(tensor(output.getName(), TensorType.wireNameOf(output.getDataType()), output.getDimsList(), batched));
        }
        return metadata.build();
    }

    private static TensorMetadata tensor(String name, String datatype, List<Long> dims, boolean batched) {
        TensorMetadata.Builder tensor = TensorMetadata.newBuilder().setName(name).setDatatype(datatype);
        if (batched) {
            tensor.addShape(-1);
        }
        return tensor.addAllShape(dims).build();
    }

    @Override
    public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
        answer(out, () -> ModelConfigResponse.newBuilder().setConfig(models.resolve(request.getName(), request.getVersion()).config()).build());
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        answer(out, () -> engine.infer(request));
    }

    /**
     * Each request gets one response on the stream, in order; a failed request answers with
     * error_message and the stream stays open, as Triton's does.
     */
    @Override
    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> out) {
        return new StreamObserver<>() {
            @Override
            public void onNext(ModelInferRequest request) {
                ModelStreamInferResponse response;
                try {
                    response = ModelStreamInferResponse.newBuilder().setInferResponse(engine.infer(request)).build();
                } catch (InferenceException e) {
                    response = ModelStreamInferResponse.newBuilder().setErrorMessage(e.getMessage()).build();
                } catch (RuntimeException e) {
                    LOG.error("stream inference on '{}' failed", request.getModelName(), e);
                    response = ModelStreamInferResponse.newBuilder().setErrorMessage("internal error: " + e.getMessage()).build();
                }
                synchronized (out) {
                    out.onNext(response);
                }
            }

            @Override
            public void onError(Throwable t) {
                // the client went away; nothing is held per stream
            }

            @Override
            public void onCompleted() {
                synchronized (out) {
                    out.onCompleted();
                }
            }
        };
    }

    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        answer(out, () -> statistics(models, request.getName(), request.getVersion()));
    }

    /** Statistics of one version, of every version of a model (empty version) or of all models (empty name). */
    static ModelStatisticsResponse statistics(ServedModels models, String name, String version) {
        ModelStatisticsResponse.Builder response = ModelStatisticsResponse.newBuilder();
        List<LoadedVersion> versions;
        if (name.isEmpty()) {
            versions = models.readyVersions("");
        } else if (version.isEmpty()) {
            models.resolve(name, "");
            versions = models.readyVersions(name);
        } else {
            versions = List.of(models.resolve(name, version));
        }
        versions.forEach(v -> response.addModelStats(v.statistics().toProto(v.name(), Long.toString(v.version()))));
        return response.build();
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        answer(out, () -> RepositoryIndexResponse.newBuilder().addAllModels(models.index(request.getReady())).build());
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> out) {
        answer(out, () -> {
            if (!request.getParametersMap().isEmpty()) {
                throw InferenceException.invalidArgument("failed to load '" + StatusDescriptions.echoed(request.getModelName()) + "': load parameters "
                        + request.getParametersMap().keySet() + " (config or file overrides) are not supported by this server");
            }
            models.load(request.getModelName());
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request, StreamObserver<RepositoryModelUnloadResponse> out) {
        answer(out, () -> {
            models.unload(request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** Sends one answer, or the InferenceException's status; anything unexpected is INTERNAL. */
    private static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
        T response;
        try {
            response = call.get();
        } catch (InferenceException e) {
            out.onError(e.toStatus());
            return;
        } catch (RuntimeException e) {
            LOG.error("request failed", e);
            out.onError(Status.INTERNAL.withDescription(StatusDescriptions.bounded(e.getMessage())).withCause(e).asRuntimeException());
            return;
        }
        if (out instanceof ServerCallStreamObserver<T> server && server.isCancelled()) {
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }
}
