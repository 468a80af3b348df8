package dev.divergence.platform.errors;

import java.util.List;

/**
 * A failure the caller can act on. The same exception becomes an RFC 9457 problem over REST and a
 * gRPC status over gRPC, so every transport reports it identically.
 */
public abstract class ApiException extends RuntimeException {

  private final ErrorKind kind;
  private final List<FieldViolation> violations;

  protected ApiException(ErrorKind kind, String message, List<FieldViolation> violations) {
    super(message);
    this.kind = kind;
    this.violations = List.copyOf(violations);
  }

  public ErrorKind kind() {
    return kind;
  }

  public List<FieldViolation> violations() {
    return violations;
  }
}
