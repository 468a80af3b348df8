package dev.divergence.platform.events;

public class OutboxPublishException extends RuntimeException {

  public OutboxPublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
