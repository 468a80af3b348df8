package dev.divergence.inference.models;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.time.Duration;
import java.util.List;

/**
 * A known model that is being prepared or loaded: 503 with Retry-After over REST (problem+json with
 * the model's name), UNAVAILABLE over gRPC; the caller retries rather than gives up.
 */
public class ModelNotServableYetException extends ApiException {

  /** Long enough not to hammer the service, short next to the tens of seconds a built-in model takes. */
  public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final String model;
  private final ServingState state;

  public ModelNotServableYetException(String model, ServingState state) {
    super(ErrorKind.UNAVAILABLE, "model '" + model + "' is " + state + ": "
        + (state == ServingState.PREPARING ? "the built-in model is still being made and loaded at start-up"
            : "the serving backend is loading it")
        + "; retry in " + RETRY_AFTER.toSeconds() + " s", List.of());
    this.model = model;
    this.state = state;
  }

  public String model() {
    return model;
  }

  public ServingState state() {
    return state;
  }
}
