package dev.divergence.training.registry;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.regex.Pattern;

/** "name" (latest version) or "name:version". */
public record ModelReference(String name, Integer version) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  public static ModelReference parse(String field, String reference) {
    if (reference == null || reference.isBlank()) {
      throw new InvalidArgumentException(field, "is required");
    }
    int colon = reference.lastIndexOf(':');
    String name = colon < 0 ? reference : reference.substring(0, colon);
    if (!isValidName(name)) {
      throw new InvalidArgumentException(field, "'" + reference + "' is not a model name ([a-z0-9._-], optionally :version)");
    }
    if (colon < 0) {
      return new ModelReference(name, null);
    }
    try {
      int version = Integer.parseInt(reference.substring(colon + 1));
      if (version < 1) {
        throw new NumberFormatException();
      }
      return new ModelReference(name, version);
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException(field, "version in '" + reference + "' must be a positive integer");
    }
  }

  @Override
  public String toString() {
    return version == null ? name : name + ":" + version;
  }
}
