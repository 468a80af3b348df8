package dev.divergence.platform.errors;

/** One rejected input field: {@code field} is a JSON-pointer-like path such as {@code spec.divergence}. */
public record FieldViolation(String field, String message) {}
