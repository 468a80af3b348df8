package dev.divergence.platform.text;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.exc.InvalidFormatException;

/**
 * A JSON string that breaks {@link TextRules}. It is an {@link InvalidFormatException}, so Jackson
 * records the JSON path to the field as it unwinds and the problem+json answer can name the field;
 * the offending value is not echoed back.
 */
public class InvalidTextException extends InvalidFormatException {

  private final String problem;

  public InvalidTextException(JsonParser parser, String problem, String value) {
    super(parser, "invalid text: " + problem, value, String.class);
    this.problem = problem;
  }

  /** What is wrong, phrased to follow the field name ("must not contain ..."). */
  public String problem() {
    return problem;
  }
}
