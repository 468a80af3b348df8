package dev.divergence.platform.errors;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;

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
   * limit (grpc-java: 8 KiB) with an opaque INTERNAL "http2 exception". A description is percent-encoded:
   * each UTF-8 byte outside printable ASCII becomes three. So each value is cut to {@value #MAX_HEADER_BYTES}
   * UTF-8 bytes (at most 3000 on the wire) on a character boundary: a request with hundreds of bad fields,
   * or a message quoting a caller's long non-ASCII string, still gets its own code.
   */
  public static final int MAX_HEADER_BYTES = 1000;

  static String shortened(String value) {
    if (value == null || value.length() <= MAX_HEADER_BYTES / 4
        || value.getBytes(StandardCharsets.UTF_8).length <= MAX_HEADER_BYTES) {
      return value;
    }
    int bytes = 0;
    int end = 0;
    while (end < value.length()) {
      int codePoint = value.codePointAt(end);
      // an unpaired surrogate becomes one '?' byte in UTF-8; counting it as 3 only cuts a little earlier
      int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
      if (bytes + size > MAX_HEADER_BYTES) {
        break;
      }
      bytes += size;
      end += Character.charCount(codePoint);
    }
    return value.substring(0, end) + "... (" + (value.length() - end) + " more characters)";
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
