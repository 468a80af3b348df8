package dev.divergence.platform.errors;

import java.util.List;

/** The caller is known but its roles do not allow what it asked (403 / PERMISSION_DENIED). */
public class PermissionDeniedException extends ApiException {

  public PermissionDeniedException(String message) {
    super(ErrorKind.PERMISSION_DENIED, message, List.of());
  }
}
