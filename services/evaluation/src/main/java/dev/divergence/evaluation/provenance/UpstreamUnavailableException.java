package dev.divergence.evaluation.provenance;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/** A service this request needs (the training service's dataset registry) did not answer: 503 / UNAVAILABLE. */
public class UpstreamUnavailableException extends ApiException {

  public UpstreamUnavailableException(String message) {
    super(ErrorKind.UNAVAILABLE, message, List.of());
  }
}
