package dev.divergence.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.tools.DebianPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The Grafana dashboards of ops/grafana/dashboards and their provisioning: each dashboard's JSON loads,
 * has unique panel ids, queries the provisioned Prometheus data source with PromQL that promtool parses,
 * and every metric name in its PromQL (panels and template variables) is one the platform exports.
 */
class DashboardsTest {

  private static final Set<String> NO_QUERY_PANELS = Set.of("row", "text");

  /** The dashboards the platform ships, by uid. */
  private static final Set<String> REQUIRED = Set.of("divergence-platform-overview", "divergence-training-jobs",
      "divergence-inference-triton");

  private static List<Path> dashboards() {
    return Repo.files(Repo.DASHBOARDS, ".json");
  }

  /** Every panel, those inside collapsed rows included. */
  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> all = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      all.add(panel);
      panel.path("panels").forEach(all::add);
    }
    return all;
  }

  private static String datasourceUid() {
    JsonNode provisioning = Repo.yaml(Repo.GRAFANA.resolve("provisioning/datasources/prometheus.yml"));
    JsonNode source = provisioning.path("datasources").get(0);
    assertThat(source.path("type").asString()).isEqualTo("prometheus");
    return source.path("uid").asString();
  }

  @Test
  void provisioningLoadsTheDashboardsFolderAndOnePrometheusDataSource() {
    JsonNode datasources = Repo.yaml(Repo.GRAFANA.resolve("provisioning/datasources/prometheus.yml"));
    assertThat(datasources.path("apiVersion").asInt()).isEqualTo(1);
    assertThat(datasources.path("datasources")).hasSize(1);
    JsonNode prometheus = datasources.path("datasources").get(0);
    assertThat(prometheus.path("uid").asString()).isNotBlank();
    // the compose service name and Prometheus' port
    assertThat(prometheus.path("url").asString()).isEqualTo("http://prometheus:9090");

    JsonNode providers = Repo.yaml(Repo.GRAFANA.resolve("provisioning/dashboards/divergence.yml"));
    assertThat(providers.path("apiVersion").asInt()).isEqualTo(1);
    JsonNode provider = providers.path("providers").get(0);
    assertThat(provider.path("type").asString()).isEqualTo("file");
    assertThat(provider.path("options").path("path").asString()).isEqualTo("/var/lib/grafana/dashboards");
  }

  @Test
  void everyDashboardLoadsWithUniquePanelIdsAndQueriesTheProvisionedDataSource() {
    String uid = datasourceUid();
    Set<String> uids = new HashSet<>();
    for (Path file : dashboards()) {
      JsonNode dashboard = Repo.json(file);
      String name = Repo.relative(file);
      assertThat(dashboard.path("title").asString()).as("%s title", name).isNotBlank();
      assertThat(uids.add(dashboard.path("uid").asString())).as("%s uid %s unique", name, dashboard.path("uid")).isTrue();
      assertThat(dashboard.path("id").isNull() || dashboard.path("id").isMissingNode())
          .as("%s has no numeric id (Grafana assigns it; a fixed one clashes)", name).isTrue();
      Set<Integer> ids = new HashSet<>();
      List<JsonNode> panels = panels(dashboard);
      assertThat(panels).as("%s panels", name).isNotEmpty();
      for (JsonNode panel : panels) {
        String title = panel.path("title").asString();
        assertThat(panel.path("id").isInt()).as("%s panel '%s' has an integer id", name, title).isTrue();
        assertThat(ids.add(panel.path("id").asInt())).as("%s panel id %s unique ('%s')", name, panel.path("id"), title).isTrue();
        assertThat(title).as("%s panel %s title", name, panel.path("id")).isNotBlank();
        if (NO_QUERY_PANELS.contains(panel.path("type").asString())) {
          continue;
        }
        assertThat(panel.path("datasource").path("uid").asString()).as("%s panel '%s' data source", name, title).isEqualTo(uid);
        assertThat(panel.path("targets")).as("%s panel '%s' queries", name, title).isNotEmpty();
        Set<String> refIds = new HashSet<>();
        for (JsonNode target : panel.path("targets")) {
          assertThat(target.path("expr").asString()).as("%s panel '%s' expr", name, title).isNotBlank();
          assertThat(refIds.add(target.path("refId").asString())).as("%s panel '%s' refId unique", name, title).isTrue();
        }
      }
    }
    assertThat(uids).containsAll(REQUIRED);
  }

  @Test
  void everyMetricADashboardQueriesIsOneThePlatformExports() {
    Set<String> known = ExportedMetrics.known();
    for (Path file : dashboards()) {
      JsonNode dashboard = Repo.json(file);
      Map<String, Set<String>> namesByPlace = new TreeMap<>();
      for (JsonNode panel : panels(dashboard)) {
        for (JsonNode target : panel.path("targets")) {
          namesByPlace.computeIfAbsent("panel '" + panel.path("title").asString() + "'", k -> new TreeSet<>())
              .addAll(PromQl.metricNames(target.path("expr").asString()));
        }
      }
      for (JsonNode variable : dashboard.path("templating").path("list")) {
        if (variable.path("type").asString().equals("query")) {
          JsonNode query = variable.path("query");
          String text = query.isObject() ? query.path("query").asString() : query.asString();
          namesByPlace.computeIfAbsent("variable $" + variable.path("name").asString(), k -> new TreeSet<>())
              .addAll(PromQl.variableQueryNames(text));
        }
      }
      Set<String> all = new TreeSet<>();
      namesByPlace.forEach((place, names) -> {
        assertThat(names).as("%s %s reads a metric", Repo.relative(file), place).isNotEmpty();
        all.addAll(names);
        Set<String> unknown = new TreeSet<>(names);
        unknown.removeAll(known);
        assertThat(unknown).as(ExportedMetrics.unknownMessage(Repo.relative(file) + " " + place, unknown)).isEmpty();
      });
    }
  }

  /**
   * promtool parses every panel's PromQL: each query becomes a recording rule of a scratch rule file, with
   * Grafana's variables replaced by what Grafana sends (a range for $__rate_interval, a regex for "All").
   */
  @Test
  void everyDashboardQueryIsValidPromQl(@TempDir Path dir) throws IOException {
    for (Path file : dashboards()) {
      StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
      for (JsonNode panel : panels(Repo.json(file))) {
        for (JsonNode target : panel.path("targets")) {
          String expr = target.path("expr").asString()
              .replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h")
              .replaceAll("\\$\\{?[a-zA-Z_]+}?", ".*");
          rules.append("      - record: dashboard:panel_").append(panel.path("id").asInt()).append('_')
              .append(target.path("refId").asString()).append("\n        expr: '")
              .append(expr.replace("'", "''")).append("'\n");
        }
      }
      Path scratch = dir.resolve(file.getFileName() + ".rules.yml");
      Files.writeString(scratch, rules);
      DebianPackages.Result result = Promtool.run("check", "rules", scratch.toString());
      assertThat(result.exitCode()).as("promtool parses the queries of %s:\n%s\n%s", Repo.relative(file), result.output(), rules)
          .isZero();
    }
  }

  @Test
  void theExportedMetricListCameFromTheScript() {
    // the committed list is the script's output: its header, and the families every Spring Boot service has
    assertThat(ExportedMetrics.EXPORTED).content().startsWith("# Metric names the platform exports")
        .contains(ExportedMetrics.SCRIPT);
    assertThat(ExportedMetrics.exported()).contains("jvm_memory_used_bytes", "http_server_requests_seconds_count",
        "divergence_outbox_pending", "nv_inference_request_success");
  }
}
