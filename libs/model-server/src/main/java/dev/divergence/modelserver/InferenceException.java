package dev.divergence.modelserver;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A failure with the gRPC status code Triton answers the same situation with, so that clients
 * written against Triton branch on codes identically here.
 */
public final class InferenceException extends RuntimeException {

    private final Status.Code code;

    public InferenceException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    public InferenceException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public static InferenceException invalidArgument(String message) {
        return new InferenceException(Status.Code.INVALID_ARGUMENT, message);
    }

    public static InferenceException notFound(String message) {
        return new InferenceException(Status.Code.NOT_FOUND, message);
    }

    public static InferenceException unavailable(String message) {
        return new InferenceException(Status.Code.UNAVAILABLE, message);
    }

    public Status.Code code() {
        return code;
    }

    public StatusRuntimeException toStatus() {
        return Status.fromCode(code).withDescription(StatusDescriptions.bounded(getMessage())).withCause(this).asRuntimeException();
    }
}
