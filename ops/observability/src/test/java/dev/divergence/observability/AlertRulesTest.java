package dev.divergence.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.test.tools.DebianPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The alert rules of ops/prometheus/rules: valid for promtool, unit-tested with promtool (each alert fires
 * on a synthetic series and stays silent on another), labelled and annotated with their runbook, and
 * reading only metrics the platform exports.
 */
class AlertRulesTest {

  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

  record Alert(String name, Path file, JsonNode rule) {
    String expr() {
      return rule.path("expr").asString();
    }
  }

  static List<Alert> alerts() {
    List<Alert> alerts = new ArrayList<>();
    for (Path file : Repo.files(Repo.RULES, ".yml")) {
      for (JsonNode group : Repo.yaml(file).path("groups")) {
        for (JsonNode rule : group.path("rules")) {
          if (rule.has("alert")) {
            alerts.add(new Alert(rule.path("alert").asString(), file, rule));
          }
        }
      }
    }
    return alerts;
  }

  @Test
  void promtoolCheckRulesAcceptsEveryRuleFile() {
    for (Path file : Repo.files(Repo.RULES, ".yml")) {
      DebianPackages.Result result = Promtool.run("check", "rules", file.toString());
      assertThat(result.exitCode()).as("promtool check rules %s:\n%s", Repo.relative(file), result.output()).isZero();
    }
  }

  @Test
  void promtoolUnitTestsOfTheRulesPass() {
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    Repo.files(Repo.RULE_TESTS, ".yml").forEach(f -> args.add(f.toString()));
    DebianPackages.Result result = Promtool.run(args.toArray(String[]::new));
    assertThat(result.exitCode()).as("promtool test rules:\n%s", result.output()).isZero();
  }

  @Test
  void everyRuleFileIsUnitTested() {
    Set<Path> tested = new TreeSet<>();
    for (Path test : Repo.files(Repo.RULE_TESTS, ".yml")) {
      for (JsonNode ruleFile : Repo.yaml(test).path("rule_files")) {
        tested.add(test.getParent().resolve(ruleFile.asString()).normalize());
      }
    }
    assertThat(tested).containsAll(Repo.files(Repo.RULES, ".yml"));
  }

  @Test
  void everyAlertHasAUnitTestWhereItFiresAndOneWhereItStaysSilent() {
    Set<String> fires = new TreeSet<>();
    Set<String> silent = new TreeSet<>();
    for (Path test : Repo.files(Repo.RULE_TESTS, ".yml")) {
      for (JsonNode group : Repo.yaml(test).path("tests")) {
        for (JsonNode check : group.path("alert_rule_test")) {
          String name = check.path("alertname").asString();
          (check.path("exp_alerts").isEmpty() ? silent : fires).add(name);
        }
      }
    }
    for (Alert alert : alerts()) {
      assertThat(fires).as("a promtool test in ops/prometheus/tests where %s fires", alert.name()).contains(alert.name());
      assertThat(silent).as("a promtool test in ops/prometheus/tests where %s stays silent", alert.name()).contains(alert.name());
    }
  }

  @Test
  void everyAlertHasASeveritySummaryDescriptionAndARunbookOfItsOwn() throws IOException {
    Map<String, Path> seen = new LinkedHashMap<>();
    for (Alert alert : alerts()) {
      assertThat(seen.put(alert.name(), alert.file())).as("alert %s defined twice", alert.name()).isNull();
      assertThat(alert.rule().path("labels").path("severity").asString()).as("%s severity", alert.name()).isIn(SEVERITIES);
      JsonNode annotations = alert.rule().path("annotations");
      assertThat(annotations.path("summary").asString()).as("%s summary", alert.name()).isNotBlank();
      assertThat(annotations.path("description").asString()).as("%s description", alert.name()).isNotBlank();
      String runbook = "ops/runbooks/" + alert.name() + ".md";
      assertThat(annotations.path("runbook_url").asString()).as("%s runbook_url", alert.name()).isEqualTo(runbook);
      Path file = Repo.ROOT.resolve(runbook);
      assertThat(file).as("runbook of %s", alert.name()).isRegularFile();
      assertThat(Files.readAllLines(file).get(0)).as("title of %s", runbook).isEqualTo("# " + alert.name());
      assertThat(Files.readString(Repo.RUNBOOKS.resolve("README.md"))).as("ops/runbooks/README.md lists %s", alert.name())
          .contains("[" + alert.name() + ".md](" + alert.name() + ".md)");
    }
    Set<String> runbooks = new TreeSet<>();
    for (Path file : Repo.files(Repo.RUNBOOKS, ".md")) {
      String name = file.getFileName().toString().replaceFirst("\\.md$", "");
      if (!name.equals("README")) {
        runbooks.add(name);
      }
    }
    assertThat(runbooks).as("runbooks in ops/runbooks, one per alert").isEqualTo(seen.keySet());
  }

  @Test
  void alertExpressionsReadOnlyMetricsThePlatformExports() {
    Set<String> known = ExportedMetrics.known();
    for (Alert alert : alerts()) {
      Set<String> names = PromQl.metricNames(alert.expr());
      assertThat(names).as("metric names in %s", alert.name()).isNotEmpty();
      Set<String> unknown = new TreeSet<>(names);
      unknown.removeAll(known);
      assertThat(unknown).as(ExportedMetrics.unknownMessage("alert " + alert.name() + " (" + Repo.relative(alert.file()) + ")",
          unknown)).isEmpty();
    }
  }
}
