package dev.divergence.gateway.dashboard;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** A service's problem+json answer in words for a page: its detail, and its messages per field. */
final class Problems {

  private Problems() {}

  static String detail(ServiceClient.Answer answer) {
    JsonNode body = answer.body();
    String detail = body.path("detail").isString() ? body.path("detail").asString()
        : body.path("title").isString() ? body.path("title").asString() : "";
    return detail.isBlank() ? "The service answered " + answer.status() + "." : detail;
  }

  /** Field path (e.g. {@code spec.budget.maxSteps}, without a leading "spec.") → the service's message. */
  static Map<String, String> fieldMessages(ServiceClient.Answer answer) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode error : answer.body().path("errors")) {
      String field = error.path("field").asString("");
      if (field.startsWith("spec.")) {
        field = field.substring("spec.".length());
      }
      out.merge(field, error.path("message").asString(""), (a, b) -> a + "; " + b);
    }
    return out;
  }
}
