package dev.divergence.observability;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, found lexically: string literals, label matchers
 * ({@code {...}}), ranges ({@code [...]}), grouping clauses ({@code by (...)}, {@code on (...)}, ...),
 * numbers and Grafana variables are removed; what remains as an identifier not followed by "(" (a
 * function or aggregation) and not a keyword is a metric name. Enough for the expressions of this
 * repository's rules and dashboards; PromQlTest pins it on hand-written cases.
 */
final class PromQl {

  private static final Pattern STRINGS = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGES = Pattern.compile("\\[[^\\]]*]");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", Pattern.CASE_INSENSITIVE);
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-zA-Z$_]+", Pattern.CASE_INSENSITIVE);
  private static final Pattern VARIABLES = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
  private static final Pattern NUMBERS = Pattern.compile("(?<![A-Za-z0-9_:])(?:0x[0-9a-fA-F]+|\\d[0-9.]*(?:[eE][+-]?\\d+)?)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "by", "without", "on", "ignoring",
      "group_left", "group_right", "offset", "inf", "nan", "atan2");
  /** Grafana's label_values(metric{...}, label): only the first argument reads a metric. */
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\s*\\(\\s*([^,)]*?)\\s*(?:,\\s*[^)]*)?\\)");

  private PromQl() {}

  static Set<String> metricNames(String expr) {
    String s = STRINGS.matcher(expr).replaceAll(" ");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = RANGES.matcher(s).replaceAll(" ");
    s = GROUPING.matcher(s).replaceAll(" ");
    s = OFFSET.matcher(s).replaceAll(" ");
    s = VARIABLES.matcher(s).replaceAll(" ");
    s = NUMBERS.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String token = m.group().strip();
      if (m.group(1) == null && !KEYWORDS.contains(token.toLowerCase())) {
        names.add(token);
      }
    }
    return names;
  }

  /**
   * The metric names a Grafana template variable's query reads: label_values(metric, label) reads metric;
   * label_values(label) none; query_result(expr) and bare expressions are PromQL.
   */
  static Set<String> variableQueryNames(String query) {
    Matcher m = LABEL_VALUES.matcher(query.strip());
    if (m.matches()) {
      String first = m.group(1);
      boolean hasLabelArgument = query.indexOf(',') >= 0;
      return hasLabelArgument ? metricNames(first) : Set.of();
    }
    return metricNames(query);
  }
}
