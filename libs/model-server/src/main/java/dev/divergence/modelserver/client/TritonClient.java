package dev.divergence.modelserver.client;

import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import dev.divergence.proto.triton.GRPCInferenceServiceGrpc.GRPCInferenceServiceStub;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelConfigRequest;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelInferResponse;
import dev.divergence.proto.triton.ModelMetadataRequest;
import dev.divergence.proto.triton.ModelMetadataResponse;
import dev.divergence.proto.triton.ModelReadyRequest;
import dev.divergence.proto.triton.ModelStatisticsRequest;
import dev.divergence.proto.triton.ModelStatisticsResponse;
import dev.divergence.proto.triton.ModelStreamInferResponse;
import dev.divergence.proto.triton.RepositoryIndexRequest;
import dev.divergence.proto.triton.RepositoryIndexResponse.ModelIndex;
import dev.divergence.proto.triton.RepositoryModelLoadRequest;
import dev.divergence.proto.triton.RepositoryModelUnloadRequest;
import dev.divergence.proto.triton.ServerLiveRequest;
import dev.divergence.proto.triton.ServerMetadataRequest;
import dev.divergence.proto.triton.ServerMetadataResponse;
import dev.divergence.proto.triton.ServerReadyRequest;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A client of Triton's GRPCInferenceService, for a real Triton server or the embedded one alike.
 * Every call carries a deadline that covers its retries; gRPC's retry policy
 * ({@link ClientOptions#serviceConfig()}) retries UNAVAILABLE with exponential backoff (all these
 * RPCs are safe to repeat: inference has no side effects, load and unload are idempotent); any
 * other failure surfaces at once as a {@link StatusRuntimeException} with the server's code. Calls
 * that still fail with UNAVAILABLE or DEADLINE_EXCEEDED feed a Resilience4j {@link CircuitBreaker}
 * ({@link ClientOptions#breakerConfig()}); while it is open calls fail fast with UNAVAILABLE
 * instead of waiting for their deadlines.
 */
public final class TritonClient implements AutoCloseable {

    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final ClientOptions options;
    private final GRPCInferenceServiceBlockingStub blocking;
    private final GRPCInferenceServiceStub async;
    private final CircuitBreaker breaker;

    /**
     * A client on a caller's channel, which the caller closes. Retries happen only if the channel
     * was built through {@link ClientOptions#configure}: gRPC reads the retry policy from the
     * channel's service config.
     */
    public TritonClient(ManagedChannel channel, ClientOptions options) {
        this(channel, options, false);
    }

    private TritonClient(ManagedChannel channel, ClientOptions options, boolean ownsChannel) {
        this.channel = channel;
        this.ownsChannel = ownsChannel;
        this.options = options;
        this.blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withMaxInboundMessageSize(options.maxInboundMessageBytes());
        this.async = GRPCInferenceServiceGrpc.newStub(channel).withMaxInboundMessageSize(options.maxInboundMessageBytes());
        this.breaker = CircuitBreaker.of("triton " + channel.authority(), options.breakerConfig());
    }

    /** Whether the circuit breaker currently rejects calls (open, or half open with its trial call out). */
    public boolean circuitOpen() {
        return breaker.getState() != CircuitBreaker.State.CLOSED;
    }

    /** A plaintext connection to {@code host:port} that this client closes. */
    public static TritonClient connect(String target, ClientOptions options) {
        ManagedChannel channel = options.configure(NettyChannelBuilder.forTarget(target).usePlaintext()).build();
        return new TritonClient(channel, options, true);
    }

    public boolean serverLive() {
        return call(stub -> stub.serverLive(ServerLiveRequest.getDefaultInstance())).getLive();
    }

    public boolean serverReady() {
        return call(stub -> stub.serverReady(ServerReadyRequest.getDefaultInstance())).getReady();
    }

    public boolean modelReady(String model, String version) {
        return call(stub -> stub.modelReady(ModelReadyRequest.newBuilder().setName(model).setVersion(version).build())).getReady();
    }

    public ServerMetadataResponse serverMetadata() {
        return call(stub -> stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()));
    }

    public ModelMetadataResponse modelMetadata(String model, String version) {
        return call(stub -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(model).setVersion(version).build()));
    }

    public ModelConfig modelConfig(String model, String version) {
        return call(stub -> stub.modelConfig(ModelConfigRequest.newBuilder().setName(model).setVersion(version).build())).getConfig();
    }

    public InferResult infer(InferRequest request) {
        return InferResult.from(infer(request.toProto()));
    }

    public ModelInferResponse infer(ModelInferRequest request) {
        return call(stub -> stub.modelInfer(request));
    }

    /**
     * Sends the requests on one ModelStreamInfer stream and returns one response per request,
     * in order; failed requests come back with error_message set, as Triton streams them. The
     * whole exchange shares one deadline; a stream is not retried because it is not idempotent
     * once half sent.
     */
    public List<ModelStreamInferResponse> streamInfer(List<ModelInferRequest> requests) {
        CompletableFuture<List<ModelStreamInferResponse>> done = new CompletableFuture<>();
        List<ModelStreamInferResponse> responses = Collections.synchronizedList(new ArrayList<>());
        StreamObserver<ModelInferRequest> sender = async.withDeadlineAfter(options.deadline().toMillis(), TimeUnit.MILLISECONDS)
                .modelStreamInfer(new StreamObserver<>() {
                    @Override
                    public void onNext(ModelStreamInferResponse response) {
                        responses.add(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(List.copyOf(responses));
                    }
                });
        requests.forEach(sender::onNext);
        sender.onCompleted();
        try {
            return done.get(options.deadline().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusRuntimeException s ? s : Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("stream did not finish within " + options.deadline()).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /** Statistics of one model version, all versions (empty version) or all models (empty name). */
    public ModelStatisticsResponse statistics(String model, String version) {
        return call(stub -> stub.modelStatistics(ModelStatisticsRequest.newBuilder().setName(model).setVersion(version).build()));
    }

    public List<ModelIndex> repositoryIndex(boolean readyOnly) {
        return call(stub -> stub.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(readyOnly).build())).getModelsList();
    }

    public void loadModel(String model) {
        call(stub -> stub.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName(model).build()));
    }

    public void unloadModel(String model) {
        call(stub -> stub.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName(model).build()));
    }

    /**
     * Polls ServerReady and ModelReady until both answer true; false if {@code timeout} passes
     * first. Connection failures while the server starts count as "not ready yet".
     */
    public boolean awaitModelReady(String model, String version, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        Duration pause = options.initialBackoff().isZero() ? Duration.ofMillis(50) : options.initialBackoff();
        while (true) {
            try {
                GRPCInferenceServiceBlockingStub stub = blocking.withDeadlineAfter(options.deadline().toMillis(), TimeUnit.MILLISECONDS);
                if (stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()
                        && stub.modelReady(ModelReadyRequest.newBuilder().setName(model).setVersion(version).build()).getReady()) {
                    return true;
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE && e.getStatus().getCode() != Status.Code.DEADLINE_EXCEEDED) {
                    throw e;
                }
            }
            if (System.nanoTime() + pause.toNanos() > end) {
                return false;
            }
            Thread.sleep(pause.toMillis());
            pause = pause.multipliedBy(2).compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : pause.multipliedBy(2);
        }
    }

    private <T> T call(Function<GRPCInferenceServiceBlockingStub, T> rpc) {
        try {
            return breaker.executeSupplier(() -> rpc.apply(blocking.withDeadlineAfter(options.deadline().toMillis(), TimeUnit.MILLISECONDS)));
        } catch (CallNotPermittedException e) {
            throw Status.UNAVAILABLE.withDescription("circuit open: the server failed " + options.breakerThreshold()
                    + " calls in a row; a trial call goes through " + options.breakerOpenFor() + " after the last failure")
                    .withCause(e).asRuntimeException();
        }
    }

    @Override
    public void close() {
        if (ownsChannel) {
            channel.shutdown();
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
