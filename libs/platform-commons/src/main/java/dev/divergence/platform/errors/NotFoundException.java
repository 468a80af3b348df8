package dev.divergence.platform.errors;

import java.util.List;

public class NotFoundException extends ApiException {

  public NotFoundException(String what, String id) {
    super(ErrorKind.NOT_FOUND, what + " '" + id + "' does not exist", List.of());
  }
}
