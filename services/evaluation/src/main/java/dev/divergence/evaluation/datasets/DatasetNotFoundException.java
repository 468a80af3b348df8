package dev.divergence.evaluation.datasets;

import dev.divergence.platform.errors.NotFoundException;

/** The training service's registry has no dataset of this name: NOT_FOUND / 404 in this service's API too. */
public class DatasetNotFoundException extends NotFoundException {

  private final String name;

  public DatasetNotFoundException(String name) {
    super("dataset", name);
    this.name = name;
  }

  public String name() {
    return name;
  }
}
