package dev.divergence.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The evaluation page's decoding comparison groups the decoding suite's metrics by strategy as the
 * suite keys them ({@code <strategy>.<measure>}, a strategy's parameters in its name), keeps each
 * estimate as the service reported it, and ignores other suites.
 */
class DashboardDecodingComparisonTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void theDecodingSuitesMetricsAreGroupedByStrategyWithTheirEstimatesUnchanged() {
    JsonNode results = JSON.readTree("""
        [{"suite":"rewards","metrics":{"reward":{"mean":0.5,"lower":0.4,"upper":0.6,"n":8}}},
         {"suite":"decoding","details":{"conflicts":7},"metrics":{
           "greedy.context_following":{"mean":0.25,"lower":0.1,"upper":0.4,"n":7},
           "greedy.prior_following":{"mean":0.75,"lower":0.6,"upper":0.9,"n":7},
           "cad(alpha=1.0).context_following":{"mean":1.0,"lower":1.0,"upper":1.0,"n":7},
           "cad(alpha=1.0).true_answer":{"mean":0.0,"n":7}}}]""");

    ObjectNode comparison = ResultPagesController.decodingComparison(results);

    assertThat(comparison.path("conflicts").asLong()).isEqualTo(7);
    assertThat(comparison.path("strategies").propertyNames()).containsExactly("greedy", "cad(alpha=1.0)");
    assertThat(comparison.at("/strategies/greedy/context_following")).isEqualTo(results.at("/1/metrics/greedy.context_following"));
    assertThat(comparison.at("/strategies/greedy/prior_following/mean").asDouble()).isEqualTo(0.75);
    assertThat(comparison.path("strategies").path("cad(alpha=1.0)").path("true_answer").path("mean").asDouble()).isEqualTo(0.0);
    assertThat(comparison.path("strategies").path("cad(alpha=1.0)").has("prior_following")).isFalse();
  }

  @Test
  void aRunWithoutTheDecodingSuiteHasNoComparison() {
    assertThat(ResultPagesController.decodingComparison(JSON.readTree("[{\"suite\":\"rewards\",\"metrics\":{}}]"))).isNull();
  }
}
