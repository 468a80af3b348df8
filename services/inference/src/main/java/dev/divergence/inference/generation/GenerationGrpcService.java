package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.Cancellation;
import dev.divergence.inference.decoding.GeneratedToken;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.proto.inference.v1.GenerateEvent;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Component;

/** gRPC face of the same {@link GenerationService} as the REST controller; bad input becomes INVALID_ARGUMENT. */
@Component
public class GenerationGrpcService extends GenerationServiceGrpc.GenerationServiceImplBase {

    private final GenerationService generation;

    public GenerationGrpcService(GenerationService generation) {
        this.generation = generation;
    }

    @Override
    public void generate(dev.divergence.proto.inference.v1.GenerateRequest request,
            StreamObserver<dev.divergence.proto.inference.v1.GenerateResponse> response) {
        response.onNext(GenerationMessages.toProto(generation.generate(GenerationMessages.fromProto(request))));
        response.onCompleted();
    }

    @Override
    public void generateStream(dev.divergence.proto.inference.v1.GenerateRequest request, StreamObserver<GenerateEvent> response) {
        PreparedGeneration prepared = generation.prepare(GenerationMessages.fromProto(request));
        ServerCallStreamObserver<GenerateEvent> call = (ServerCallStreamObserver<GenerateEvent>) response;
        Cancellation cancellation = new Cancellation();
        call.setOnCancelHandler(cancellation::cancel);
        generation.stream(prepared, new GrpcSink(call, cancellation), cancellation);
    }

    /** Sends from the decoding thread; a call the client cancelled takes nothing more. */
    private record GrpcSink(ServerCallStreamObserver<GenerateEvent> call, Cancellation cancellation) implements GenerationSink {

        @Override
        public void token(GeneratedToken token) {
            send(() -> call.onNext(GenerationMessages.tokenEvent(token)));
        }

        @Override
        public void done(GenerateResponse summary) {
            send(() -> {
                call.onNext(GenerationMessages.doneEvent(summary));
                call.onCompleted();
            });
        }

        @Override
        public void failed(Throwable error) {
            send(() -> call.onError(GrpcStatusMapper.toStatus(error)));
        }

        private void send(Runnable action) {
            synchronized (call) {
                if (cancellation.isCancelled() || call.isCancelled()) {
                    cancellation.cancel();
                    return;
                }
                try {
                    action.run();
                } catch (RuntimeException e) {
                    cancellation.cancel();
                }
            }
        }
    }
}
