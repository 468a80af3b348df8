package dev.divergence.platform.errors;

import java.util.List;

/** Input that violates the contract; always names the offending field(s). */
public class InvalidArgumentException extends ApiException {

  public InvalidArgumentException(String field, String message) {
    this(List.of(new FieldViolation(field, message)));
  }

  public InvalidArgumentException(List<FieldViolation> violations) {
    super(ErrorKind.INVALID_ARGUMENT, summarise(violations), violations);
    if (violations.isEmpty()) {
      throw new IllegalArgumentException("violations must not be empty");
    }
  }

  private static String summarise(List<FieldViolation> violations) {
    StringBuilder text = new StringBuilder();
    for (FieldViolation violation : violations) {
      if (!text.isEmpty()) {
        text.append("; ");
      }
      text.append(violation.field()).append(": ").append(violation.message());
    }
    return text.toString();
  }
}
