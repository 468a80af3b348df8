package dev.divergence.merging.models;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.time.Duration;
import java.util.List;

/**
 * A built-in classifier that the service is still making and loading in the background: 503 with
 * Retry-After over REST (problem+json naming the model), UNAVAILABLE over gRPC. The caller retries
 * instead of waiting: a built-in takes tens of seconds to make on a fresh data folder, longer than a
 * gateway's read timeout.
 */
public class BuiltInModelNotReadyException extends ApiException {

  /** Long enough not to hammer the service, short next to the tens of seconds a built-in model takes. */
  public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final String model;

  public BuiltInModelNotReadyException(String model) {
    super(ErrorKind.UNAVAILABLE, "model '" + model + "' is PREPARING: the built-in classifier is still being made and loaded"
        + " in the background since the service started; retry in " + RETRY_AFTER.toSeconds() + " s", List.of());
    this.model = model;
  }

  public String model() {
    return model;
  }
}
