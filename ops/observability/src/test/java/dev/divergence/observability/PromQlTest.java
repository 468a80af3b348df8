package dev.divergence.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The metric-name extraction the dashboard and rule checks rely on, on hand-written expressions. */
class PromQlTest {

  @Test
  void aSelectorWithMatchersIsOneName() {
    assertThat(PromQl.metricNames("up{job=~\"gateway|training\", instance!=\"x{y}\"} == 0")).containsExactly("up");
  }

  @Test
  void functionsAggregationsGroupingAndRangesAreNotNames() {
    assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, model) (rate("
        + "divergence_generation_time_to_first_token_seconds_bucket{application=\"inference\"}[5m]))) > 2"))
        .containsExactly("divergence_generation_time_to_first_token_seconds_bucket");
    assertThat(PromQl.metricNames("sum(rate(a_total[$__rate_interval])) without (instance) / on (job) group_left(le) b"))
        .containsExactly("a_total", "b");
  }

  @Test
  void binaryOperandsKeywordsNumbersAndOffsetsAreHandled() {
    assertThat(PromQl.metricNames(
        "(sum by (application) (increase(x_total{state=\"failed\"}[30m])) / sum(increase(x_total[30m] offset 1h))) > 0.2"
            + " and sum(increase(y_total[30m])) >= 5 unless z > bool 1e6 or Inf"))
        .containsExactly("x_total", "y_total", "z");
  }

  @Test
  void grafanaVariablesAreNotNames() {
    assertThat(PromQl.metricNames("sum by (application) (rate(http_server_requests_seconds_count{application=~\"$application\"}[$__rate_interval]))"
        + " / ${scale}")).containsExactly("http_server_requests_seconds_count");
  }

  @Test
  void labelValuesReadsOnlyItsMetricArgument() {
    assertThat(PromQl.variableQueryNames("label_values(jvm_info{job=\"x\"}, application)")).containsExactly("jvm_info");
    assertThat(PromQl.variableQueryNames("label_values(model)")).isEmpty();
    assertThat(PromQl.variableQueryNames("query_result(topk(5, nv_inference_count))")).containsExactly("nv_inference_count");
  }
}
