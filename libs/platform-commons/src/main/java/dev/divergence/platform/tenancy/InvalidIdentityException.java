package dev.divergence.platform.tenancy;

/** An identity token that is missing, malformed, wrongly signed or expired; the message says which. */
public class InvalidIdentityException extends RuntimeException {

  public InvalidIdentityException(String message) {
    super(message);
  }
}
