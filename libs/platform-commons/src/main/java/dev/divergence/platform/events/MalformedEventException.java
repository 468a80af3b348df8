package dev.divergence.platform.events;

/** A record that can never be processed; the error handler skips it instead of retrying forever. */
public class MalformedEventException extends RuntimeException {

  public MalformedEventException(String message) {
    super(message);
  }

  public MalformedEventException(String message, Throwable cause) {
    super(message, cause);
  }
}
