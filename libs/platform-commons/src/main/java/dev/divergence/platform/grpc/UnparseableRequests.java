package dev.divergence.platform.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.divergence.platform.errors.GrpcStatusMapper;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;

/**
 * grpc-java answers a request whose bytes are not a message of the method's request type (truncated,
 * wrong wire types, a proto3 string that is not UTF-8) with {@code UNKNOWN: Application error
 * processing RPC}, because the parse failure escapes from its own marshaller. It is the caller's input
 * that is wrong, so the service is bound with the bytes passed through unparsed
 * ({@link ServerInterceptors#useInputStreamMessages}, which parses them with the method's own
 * marshaller when the message is delivered) and a parse failure there ends the call with
 * INVALID_ARGUMENT naming the request, in the description and the field trailer. Everything behind
 * it sees the typed messages as before.
 */
final class UnparseableRequests {

  private UnparseableRequests() {}

  static ServerServiceDefinition reportedAsInvalidArgument(ServerServiceDefinition typed) {
    return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(typed), new ParseFailures());
  }

  private static final class ParseFailures implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        private boolean rejected;

        @Override
        public void onMessage(Q message) {
          if (rejected) {
            return;
          }
          try {
            super.onMessage(message);
          } catch (RuntimeException failure) {
            InvalidProtocolBufferException unparseable = unparseable(failure);
            if (unparseable == null) {
              throw failure;
            }
            rejected = true;
            // the trailer every other INVALID_ARGUMENT of the platform carries; the field is the whole request
            Metadata trailers = new Metadata();
            trailers.put(GrpcStatusMapper.INVALID_FIELDS, "request");
            call.close(Status.INVALID_ARGUMENT.withDescription(
                "request: is not a valid message of the method's request type (" + unparseable.getMessage() + ")"),
                trailers);
          }
        }

        @Override
        public void onHalfClose() {
          if (!rejected) {
            super.onHalfClose();
          }
        }
      };
    }

    private static InvalidProtocolBufferException unparseable(Throwable failure) {
      for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
        if (cause instanceof InvalidProtocolBufferException invalid) {
          return invalid;
        }
      }
      return null;
    }
  }
}
