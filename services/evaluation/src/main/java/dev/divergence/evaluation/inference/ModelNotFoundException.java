package dev.divergence.evaluation.inference;

import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/** The inference service does not know the model (never registered, or deleted since). */
public class ModelNotFoundException extends InferenceException {

  private final String model;

  public ModelNotFoundException(String model) {
    super(ErrorKind.NOT_FOUND, "model '" + model + "' is not served by the inference service", List.of());
    this.model = model;
  }

  public String model() {
    return model;
  }
}
