package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Numbers read from a service's {@code /actuator/metrics/{name}} answer. Only what the service
 * measured counts: a missing meter, a missing VALUE or a NaN (a Kafka gauge before its first fetch)
 * is "not measured", never zero.
 */
final class ActuatorFigures {

  /** Kafka's default client id of a consumer, {@code consumer-<group id>-<n>}, as Spring Kafka leaves it. */
  private static final Pattern DEFAULT_CONSUMER_CLIENT_ID = Pattern.compile("consumer-(.+)-\\d+");

  private ActuatorFigures() {}

  /**
   * The meter's VALUE statistic (a gauge's reading; the endpoint sums it over the meters the query's
   * tags select); empty when the service answered anything but 200 or the value is not a finite number.
   */
  static OptionalDouble value(ServiceClient.Answer answer) {
    if (answer.status() != 200) {
      return OptionalDouble.empty();
    }
    for (JsonNode measurement : answer.body().path("measurements")) {
      if ("VALUE".equals(measurement.path("statistic").asString(""))) {
        JsonNode value = measurement.path("value");
        double number;
        if (value.isNumber()) {
          number = value.asDouble();
        } else if (value.isString()) {
          try {
            number = Double.parseDouble(value.asString());
          } catch (NumberFormatException notANumber) {
            return OptionalDouble.empty();
          }
        } else {
          return OptionalDouble.empty();
        }
        return Double.isFinite(number) ? OptionalDouble.of(number) : OptionalDouble.empty();
      }
    }
    return OptionalDouble.empty();
  }

  /** The values the meter's {@code tag} takes across its meters ({@code availableTags}); empty if none. */
  static List<String> tagValues(ServiceClient.Answer answer, String tag) {
    List<String> values = new ArrayList<>();
    if (answer.status() != 200) {
      return values;
    }
    for (JsonNode available : answer.body().path("availableTags")) {
      if (tag.equals(available.path("tag").asString(""))) {
        available.path("values").forEach(value -> values.add(value.asString()));
      }
    }
    values.sort(null);
    return values;
  }

  /** The consumer group a default Kafka client id names; the client id itself when it follows no known pattern. */
  static String consumerGroup(String clientId) {
    Matcher matcher = DEFAULT_CONSUMER_CLIENT_ID.matcher(clientId);
    return matcher.matches() ? matcher.group(1) : clientId;
  }

  /** A measured number as a page shows it: whole numbers without decimals, others with two. */
  static String shown(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : String.format(java.util.Locale.ROOT, "%.2f", value);
  }
}
