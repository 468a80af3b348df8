package dev.divergence.platform.grpc;

import dev.divergence.platform.errors.GrpcStatusMapper;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets gRPC service implementations throw the same exceptions as REST controllers; they become
 * the matching status (INVALID_ARGUMENT naming the field, NOT_FOUND, ...), never an opaque UNKNOWN.
 */
public class ExceptionMappingInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(ExceptionMappingInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        guard(call, () -> super.onMessage(message));
      }

      @Override
      public void onHalfClose() {
        guard(call, super::onHalfClose);
      }
    };
  }

  private static <Q, R> void guard(ServerCall<Q, R> call, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException error) {
      StatusRuntimeException status = GrpcStatusMapper.toStatus(error);
      if (status.getStatus().getCode() == Status.Code.INTERNAL) {
        log.error("gRPC call {} failed", call.getMethodDescriptor().getFullMethodName(), error);
      }
      Metadata trailers = status.getTrailers() == null ? new Metadata() : status.getTrailers();
      call.close(status.getStatus(), trailers);
    }
  }
}
