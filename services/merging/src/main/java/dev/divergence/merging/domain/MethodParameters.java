package dev.divergence.merging.domain;

import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A method's parameters as they arrive from an API (JSON numbers and strings by name). Every read
 * names the field as {@code parameters.<name>}; {@link #requireAllUsed()} rejects names the method
 * does not know, so a misspelt parameter is an error rather than a silently applied default.
 */
public final class MethodParameters {

  private final Map<String, Object> given;
  private final Set<String> read = new HashSet<>();

  public MethodParameters(Map<String, ?> given) {
    this.given = given == null ? Map.of() : new LinkedHashMap<>(given);
  }

  public static MethodParameters none() {
    return new MethodParameters(Map.of());
  }

  public static String field(String name) {
    return "parameters." + name;
  }

  public double number(String name, double defaultValue) {
    read.add(name);
    Object value = given.get(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof Number number)) {
      throw new InvalidArgumentException(field(name), "must be a number, got '" + value + "'");
    }
    double d = number.doubleValue();
    if (!Double.isFinite(d)) {
      throw new InvalidArgumentException(field(name), "must be finite, got " + d);
    }
    return d;
  }

  public String text(String name, String defaultValue) {
    read.add(name);
    Object value = given.get(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof String s)) {
      throw new InvalidArgumentException(field(name), "must be a string, got " + value);
    }
    return s;
  }

  public double[] numbers(String name, double[] defaultValue) {
    read.add(name);
    Object value = given.get(name);
    if (value == null) {
      return defaultValue.clone();
    }
    if (!(value instanceof java.util.List<?> list) || list.isEmpty()) {
      throw new InvalidArgumentException(field(name), "must be a non-empty list of numbers");
    }
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Number n) || !Double.isFinite(n.doubleValue())) {
        throw new InvalidArgumentException(field(name) + "[" + i + "]", "must be a finite number, got " + list.get(i));
      }
      out[i] = n.doubleValue();
    }
    return out;
  }

  public void requireAllUsed() {
    for (String name : given.keySet()) {
      if (!read.contains(name)) {
        throw new InvalidArgumentException(field(name), "unknown parameter for this method; known: " + read.stream().sorted().toList());
      }
    }
  }

  // ---- checks shared by the methods ----

  static double unitInterval(String name, double value) {
    if (value < 0 || value > 1) {
      throw new InvalidArgumentException(field(name), "must be in [0, 1], got " + value);
    }
    return value;
  }

  static double positive(String name, double value) {
    if (!(value > 0)) {
      throw new InvalidArgumentException(field(name), "must be > 0, got " + value);
    }
    return value;
  }
}
