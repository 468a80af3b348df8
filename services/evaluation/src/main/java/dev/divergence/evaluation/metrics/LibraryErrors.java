package dev.divergence.evaluation.metrics;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libs/divergence reports bad input as an IllegalArgumentException whose message starts with the
 * argument and, for arrays, its flat index ({@code similarity[5]: must be symmetric ...}). This turns
 * it into the platform's field violation, renaming the argument to the request's field and a flat
 * index into [row][col] for matrices, so that REST and gRPC name the same field.
 */
public final class LibraryErrors {

  private static final Pattern FLAT = Pattern.compile("^([A-Za-z_]+)\\[(\\d+)]$");

  private LibraryErrors() {}

  /** Any library rejection left unnamed by the caller: the argument the library names becomes the field. */
  public static <T> T guard(Supplier<T> computation) {
    return call(computation, Map.of(), Map.of());
  }

  /**
   * @param matrices the library's argument name → the matrix it was given (for [row][col]); other
   *     arguments are renamed with {@code names} or prefixed with {@code prefix}
   */
  static <T> T call(Supplier<T> computation, Map<String, RowMatrix> matrices, Map<String, String> names) {
    try {
      return computation.get();
    } catch (IllegalArgumentException error) {
      throw translate(error, matrices, names);
    }
  }

  static InvalidArgumentException translate(IllegalArgumentException error, Map<String, RowMatrix> matrices,
      Map<String, String> names) {
    String message = String.valueOf(error.getMessage());
    int colon = message.indexOf(": ");
    if (colon < 0) {
      return new InvalidArgumentException("body", message);
    }
    String argument = message.substring(0, colon);
    String problem = message.substring(colon + 2);
    Matcher flat = FLAT.matcher(argument);
    if (flat.matches() && matrices.containsKey(flat.group(1))) {
      return new InvalidArgumentException(matrices.get(flat.group(1)).at(Long.parseLong(flat.group(2))), problem);
    }
    for (Map.Entry<String, String> rename : names.entrySet()) {
      if (argument.equals(rename.getKey()) || argument.startsWith(rename.getKey() + "[")) {
        return new InvalidArgumentException(rename.getValue() + argument.substring(rename.getKey().length()), problem);
      }
    }
    return new InvalidArgumentException(argument, problem);
  }
}
