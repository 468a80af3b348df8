package dev.divergence.platform.errors;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Maps platform exceptions to gRPC statuses, mirroring {@link ProblemDetailsAdvice} for REST. */
public final class GrpcStatusMapper {

  /** Trailer naming the offending field(s), comma separated, for clients that want it structured. */
  public static final Metadata.Key<String> INVALID_FIELDS =
      Metadata.Key.of("divergence-invalid-fields", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcStatusMapper() {}

  public static StatusRuntimeException toStatus(Throwable error) {
    if (error instanceof StatusRuntimeException statusError) {
      return statusError;
    }
    if (error instanceof ApiException api) {
      Metadata trailers = new Metadata();
      if (!api.violations().isEmpty()) {
        trailers.put(
            INVALID_FIELDS,
            asciiOnly(String.join(",", api.violations().stream().map(FieldViolation::field).toList())));
      }
      return Status.fromCode(api.kind().grpcCode())
          .withDescription(api.getMessage())
          .asRuntimeException(trailers);
    }
    if (error instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(error.getMessage()).asRuntimeException();
    }
    return Status.INTERNAL.withDescription("internal error").withCause(error).asRuntimeException();
  }

  /**
   * An ASCII metadata value may hold only printable ASCII; a field path can carry a caller's map key,
   * so anything else is written as a {@code \\uXXXX} escape instead of breaking the response.
   */
  static String asciiOnly(String value) {
    StringBuilder text = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        text.append(c);
      } else {
        text.append(String.format("\\u%04x", (int) c));
      }
    }
    return text.toString();
  }
}
