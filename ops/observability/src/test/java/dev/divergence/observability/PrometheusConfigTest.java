package dev.divergence.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.tools.DebianPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * ops/prometheus/prometheus.yml, the docker-compose scrape config: valid for promtool, and its targets are
 * exactly the compose service names with the ports the services listen on by default (their
 * application.yml), the actuator's Prometheus path for the services and Triton's /metrics for the model
 * servers.
 */
class PrometheusConfigTest {

  private static final Path CONFIG = Repo.PROMETHEUS.resolve("prometheus.yml");
  private static final Pattern DEFAULTED = Pattern.compile("\\$\\{[A-Za-z0-9_.]+:(\\d+)}");

  /** A port from a service's application.yml: a number, or the default of ${ENV:default}. */
  private static int port(String module, String... path) {
    JsonNode node = Repo.yaml(Repo.ROOT.resolve(module).resolve("src/main/resources/application.yml"));
    for (String p : path) {
      node = node.path(p);
    }
    String value = node.asString();
    Matcher m = DEFAULTED.matcher(value);
    assertThat(value).as("%s %s", module, String.join(".", path)).isNotBlank();
    return Integer.parseInt(m.matches() ? m.group(1) : value);
  }

  /** job -> "host:port" targets, from static_configs and dns_sd_configs. */
  private static Map<String, Set<String>> targets(JsonNode config) {
    Map<String, Set<String>> jobs = new TreeMap<>();
    for (JsonNode job : config.path("scrape_configs")) {
      Set<String> targets = new TreeSet<>();
      job.path("static_configs").forEach(s -> s.path("targets").forEach(t -> targets.add(t.asString())));
      job.path("dns_sd_configs").forEach(d -> d.path("names").forEach(n -> targets.add(n.asString() + ":" + d.path("port").asInt())));
      assertThat(jobs.put(job.path("job_name").asString(), targets)).as("job %s defined once", job.path("job_name")).isNull();
    }
    return jobs;
  }

  @Test
  void scrapeTargetsAreTheComposeServicesOnTheirPorts() {
    JsonNode config = Repo.yaml(CONFIG);
    int modelServerMetrics = port("services/inference", "divergence", "inference", "embedded-server", "metrics-port");
    Map<String, Set<String>> expected = Map.of(
        "gateway", Set.of("gateway:" + port("gateway", "server", "port")),
        "training", Set.of("training:" + port("services/training", "server", "port")),
        "inference", Set.of("inference:" + port("services/inference", "server", "port")),
        "evaluation", Set.of("evaluation:" + port("services/evaluation", "server", "port")),
        "merging", Set.of("merging:" + port("services/merging", "server", "port")),
        // the embedded server listens on Triton's metrics port, so Triton's own target uses the same one
        "model-server", Set.of("inference:" + modelServerMetrics),
        "triton", Set.of("triton:" + modelServerMetrics));
    assertThat(targets(config)).isEqualTo(expected);
    for (JsonNode job : config.path("scrape_configs")) {
      String name = job.path("job_name").asString();
      String path = name.equals("model-server") || name.equals("triton") ? "/metrics" : "/actuator/prometheus";
      assertThat(job.path("metrics_path").asString()).as("%s metrics_path", name).isEqualTo(path);
    }
    // the gateway's actuator is admin-only: Prometheus presents an API key as a bearer token
    JsonNode gateway = config.path("scrape_configs").get(0);
    assertThat(gateway.path("job_name").asString()).isEqualTo("gateway");
    assertThat(gateway.path("authorization").path("type").asString()).isEqualTo("Bearer");
    // a compose secret (or a Kubernetes Secret volume) lands in /run/secrets; /etc/prometheus is the read-only config
    assertThat(gateway.path("authorization").path("credentials_file").asString()).isEqualTo("/run/secrets/gateway-api-key");
  }

  @Test
  void theHostsAreServicesOfTheComposeFileWhenItExists() {
    Path compose = Repo.ROOT.resolve("docker-compose.yml");
    if (!Files.isRegularFile(compose)) {
      return; // the compose file is written next to this config; the test above pins the names it will use
    }
    Set<String> services = new TreeSet<>();
    Repo.yaml(compose).path("services").propertyNames().forEach(services::add);
    targets(Repo.yaml(CONFIG)).values().forEach(targets -> targets.forEach(t ->
        assertThat(services).as("docker-compose.yml services (target %s)", t).contains(t.substring(0, t.indexOf(':')))));
  }

  @Test
  void promtoolCheckConfigAcceptsTheConfigWithItsRuleFiles(@TempDir Path dir) throws IOException {
    // the config names the container's paths (/etc/prometheus/..., the secret in /run/secrets): check a copy
    // that points into dir, with the rule files and a stand-in key file where the mounts put them
    Path rules = Files.createDirectories(dir.resolve("rules"));
    for (Path file : Repo.files(Repo.RULES, ".yml")) {
      Files.copy(file, rules.resolve(file.getFileName()));
    }
    Path secrets = Files.createDirectories(dir.resolve("secrets"));
    Files.writeString(secrets.resolve("gateway-api-key"), "dvg_stand-in");
    Path copy = dir.resolve("prometheus.yml");
    Files.writeString(copy, Files.readString(CONFIG).replace("/etc/prometheus/", dir + "/").replace("/run/secrets/", secrets + "/"));
    DebianPackages.Result result = Promtool.run("check", "config", copy.toString());
    assertThat(result.exitCode()).as("promtool check config:\n%s", result.output()).isZero();
    // every rule file is loaded by the config's rule_files glob
    assertThat(result.output()).contains("SUCCESS: " + Repo.files(Repo.RULES, ".yml").size() + " rule files found");
  }
}
