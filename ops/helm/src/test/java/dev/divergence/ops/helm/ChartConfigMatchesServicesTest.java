package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart configures the services with properties they really have and ports they really use:
 * every property of a rendered ConfigMap exists in the service's application.yml, platform-commons'
 * defaults, or as a component of one of its {@code @ConfigurationProperties} records (read from the
 * sources), and the chart's default ports are the services' own defaults.
 */
class ChartConfigMatchesServicesTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Map<String, String> MODULE = Map.of("gateway", "gateway", "training", "services/training",
      "inference", "services/inference", "evaluation", "services/evaluation", "merging", "services/merging");
  /** Spring Boot's own properties the chart sets (not declared in this repository). */
  private static final Set<String> SPRING_BOOT = Set.of("spring.datasource.url", "spring.datasource.username",
      "spring.kafka.bootstrap-servers", "spring.security.oauth2.resourceserver.jwt.issuer-uri", "server.port");
  private static final Pattern PROPERTIES = Pattern.compile(
      "@ConfigurationProperties\\(\"([\\w.-]+)\"\\)\\s*public\\s+record\\s+\\w+\\s*\\(");
  private static final Pattern PLACEHOLDER = Pattern.compile("^\\$\\{[A-Z0-9_]+:(.*)}$");

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "training", "inference", "evaluation", "merging"})
  void everyConfiguredPropertyExistsInTheService(String service) throws IOException {
    Set<String> declared = new HashSet<>();
    Path module = Chart.ROOT.resolve(MODULE.get(service));
    declared.addAll(flatten("", yaml(module.resolve("src/main/resources/application.yml"))).keySet());
    Path defaults = Chart.ROOT.resolve("libs/platform-commons/src/main/resources/META-INF/divergence");
    declared.addAll(flatten("", yaml(defaults.resolve("service-defaults.yml"))).keySet());
    if (!service.equals("gateway")) {
      declared.addAll(flatten("", yaml(defaults.resolve("data-service-defaults.yml"))).keySet());
    }
    Map<String, Set<String>> records = configurationRecords(List.of(module, Chart.ROOT.resolve("libs/platform-commons")));

    Set<String> unknown = new TreeSet<>();
    for (String variant : List.of("default", "everything", "gpu", "local-runner")) {
      Map<String, Object> config = RenderedManifestsTest.springConfig(Chart.render(variant), service);
      for (String property : flatten("", config).keySet()) {
        if (!declared.contains(property) && !SPRING_BOOT.contains(property) && !inRecord(property, records)) {
          unknown.add(property);
        }
      }
    }
    assertThat(unknown).as("properties of the %s ConfigMap the service does not have", service).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"gateway", "training", "inference", "evaluation", "merging"})
  void chartPortsAreTheServicesDefaults(String service) throws IOException {
    Map<String, Object> application = flatten("", yaml(Chart.ROOT.resolve(MODULE.get(service)).resolve("src/main/resources/application.yml")));
    @SuppressWarnings("unchecked")
    Map<String, Object> values = (Map<String, Object>) yaml(Chart.DIR.resolve("values.yaml")).get(service);
    assertThat(values.get("httpPort")).as(service + " HTTP port").isEqualTo(defaultOf(application.get("server.port")));
    String grpc = service.equals("gateway") ? "divergence.gateway.grpc.port" : "divergence.grpc.port";
    assertThat(values.get("grpcPort")).as(service + " gRPC port").isEqualTo(defaultOf(application.get(grpc)));
  }

  private static Object defaultOf(Object value) {
    if (value instanceof String text) {
      Matcher placeholder = PLACEHOLDER.matcher(text);
      if (placeholder.matches()) {
        return Integer.valueOf(placeholder.group(1));
      }
    }
    return value;
  }

  /** Whether the property is prefix.component[...] of a {@code @ConfigurationProperties} record. */
  private static boolean inRecord(String property, Map<String, Set<String>> records) {
    for (var record : records.entrySet()) {
      String prefix = record.getKey() + ".";
      if (property.startsWith(prefix)) {
        String component = property.substring(prefix.length()).split("\\.")[0];
        if (record.getValue().contains(component)) {
          return true;
        }
      }
    }
    return false;
  }

  /** prefix -> kebab-case component names of every {@code @ConfigurationProperties} record in the modules' sources. */
  private static Map<String, Set<String>> configurationRecords(List<Path> modules) throws IOException {
    Map<String, Set<String>> records = new HashMap<>();
    for (Path module : modules) {
      List<Path> sources;
      try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
        sources = files.filter(f -> f.toString().endsWith(".java")).toList();
      }
      for (Path source : sources) {
        String code = Files.readString(source).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
        Matcher declaration = PROPERTIES.matcher(code);
        while (declaration.find()) {
          records.computeIfAbsent(declaration.group(1), p -> new HashSet<>())
              .addAll(components(code.substring(declaration.end())));
        }
      }
    }
    assertThat(records).as("@ConfigurationProperties records found").isNotEmpty();
    return records;
  }

  /** The component names of a record header, from just after its "(" to the matching ")". */
  private static List<String> components(String afterParenthesis) {
    List<String> names = new ArrayList<>();
    int depth = 0;
    StringBuilder component = new StringBuilder();
    for (char c : afterParenthesis.toCharArray()) {
      if (c == ')' && depth == 0) {
        break;
      }
      if (c == '<' || c == '(') {
        depth++;
      } else if (c == '>' || c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        names.add(kebab(component.toString()));
        component.setLength(0);
      } else {
        component.append(c);
      }
    }
    if (!component.toString().isBlank()) {
      names.add(kebab(component.toString()));
    }
    return names;
  }

  private static String kebab(String component) {
    String[] tokens = component.strip().split("\\s+");
    return tokens[tokens.length - 1].replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(Path file) throws IOException {
    return SERIALIZATION.unmarshal(Files.readString(file), Map.class);
  }

  /** Dotted leaf paths; lists are leaves. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> flatten(String prefix, Map<String, Object> map) {
    Map<String, Object> flat = new HashMap<>();
    map.forEach((key, value) -> {
      String path = prefix.isEmpty() ? key : prefix + "." + key;
      if (value instanceof Map<?, ?> nested && !nested.isEmpty()) {
        flat.putAll(flatten(path, (Map<String, Object>) nested));
      } else {
        flat.put(path, value);
      }
    });
    return flat;
  }
}
