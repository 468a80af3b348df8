package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rule files dropped into the chart's files/prometheus-rules/ end up in the PrometheusRule, next to the values' groups. */
class PrometheusRuleFilesTest {

  @Test
  void ruleFilesOfTheChartAndValuesGroupsAreCombined(@TempDir Path temp) throws IOException {
    Path chart = temp.resolve("divergence");
    try (Stream<Path> files = Files.walk(Chart.DIR)) {
      for (Path file : files.toList()) {
        Path target = chart.resolve(Chart.DIR.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target);
        }
      }
    }
    Files.writeString(chart.resolve("files/prometheus-rules/platform.yaml"), """
        groups:
          - name: divergence-platform
            rules:
              - alert: DivergenceOutboxBacklog
                expr: divergence_outbox_pending > 1000
                for: 10m
        """);
    Path values = temp.resolve("values.yaml");
    Files.writeString(values, """
        metrics:
          prometheusRule:
            enabled: true
            additionalGroups:
              - name: site-specific
                rules:
                  - alert: SiteAlert
                    expr: vector(1)
        """);
    String yaml = new Helm(chart).template().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
        .withValuesFile(values).call();
    List<GenericKubernetesResource> rules = Chart.Rendered.parse("rule-files", yaml).custom("PrometheusRule");
    assertThat(rules).singleElement().satisfies(rule -> {
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> groups = (List<Map<String, Object>>) rule.get("spec", "groups");
      assertThat(groups).extracting(g -> g.get("name")).containsExactly("divergence-platform", "site-specific");
    });
  }
}
