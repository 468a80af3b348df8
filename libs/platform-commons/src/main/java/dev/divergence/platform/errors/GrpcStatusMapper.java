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
            shortened(asciiOnly(String.join(",", api.violations().stream().map(FieldViolation::field).toList()))));
      }
      return Status.fromCode(api.kind().grpcCode())
          .withDescription(shortened(api.getMessage()))
          .asRuntimeException(trailers);
    }
    if (error instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(error.getMessage()).asRuntimeException();
    }
    return Status.INTERNAL.withDescription("internal error").withCause(error).asRuntimeException();
  }

  /**
   * Status description and trailers travel as HTTP/2 headers, and a client refuses trailers above its
   * limit (grpc-java: 8 KiB, and a description is percent-encoded, up to three bytes a character) with an opaque INTERNAL "http2 exception". A request with hundreds of bad
   * fields must still get its INVALID_ARGUMENT, so each value is cut to {@value #MAX_HEADER_CHARS}
   * characters, keeping the first fields.
   */
  static final int MAX_HEADER_CHARS = 1000;

  static String shortened(String value) {
    if (value == null || value.length() <= MAX_HEADER_CHARS) {
      return value;
    }
    return value.substring(0, MAX_HEADER_CHARS) + "... (" + (value.length() - MAX_HEADER_CHARS) + " more characters)";
  }

  /**
   * An ASCII metadata value may hold only printable ASCII; a field path can carry a caller's map key,
   * so anything else is written as a backslash-u escape of four hex digits instead of breaking the response.
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
