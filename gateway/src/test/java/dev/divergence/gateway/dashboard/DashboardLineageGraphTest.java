package dev.divergence.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The models page's lineage graph built from the training registry's model list. */
class DashboardLineageGraphTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void everyLineagePartBecomesATypedEdgeFromTheParentToTheModel() {
    // a student distilled from a built-in teacher by a job, version 2 of it fine-tuned from version 1 with a
    // reference, and a merge of the two student versions
    LineageGraph graph = LineageGraph.of(models("""
        [{"name":"student","version":1,"teacherModel":"mlp-teacher","producingJob":"0b5e3c1a-0000-4000-8000-000000000001"},
         {"name":"student","version":2,"baseModel":"student:1","referenceModel":"student:1","producingJob":"0b5e3c1a-0000-4000-8000-000000000002"},
         {"name":"merged","version":1,"mergedFrom":{"generalist":"student:1","expert":"student"}}]"""));

    assertThat(graph.edges()).containsExactlyInAnyOrder(
        new LineageGraph.Edge("mlp-teacher", "student:1", "teacher"),
        new LineageGraph.Edge("job 0b5e3c1a-0000-4000-8000-000000000001", "student:1", "produced"),
        new LineageGraph.Edge("student:1", "student:2", "base"),
        new LineageGraph.Edge("student:1", "student:2", "reference"),
        new LineageGraph.Edge("job 0b5e3c1a-0000-4000-8000-000000000002", "student:2", "produced"),
        new LineageGraph.Edge("student:1", "merged:1", "generalist"),
        // a reference without a version is the newest registered version of the name
        new LineageGraph.Edge("student:2", "merged:1", "expert"));
    assertThat(graph.nodes()).extracting(LineageGraph.Node::id).containsExactlyInAnyOrder(
        "student:1", "student:2", "merged:1", "mlp-teacher",
        "job 0b5e3c1a-0000-4000-8000-000000000001", "job 0b5e3c1a-0000-4000-8000-000000000002");
  }

  @Test
  void nodesLinkToTheirPagesAndAreTypedByWhatTheyAre() {
    LineageGraph graph = LineageGraph.of(models("""
        [{"name":"student","version":3,"teacherModel":"mlp-teacher","producingJob":"0b5e3c1a-0000-4000-8000-000000000001"}]"""));
    assertThat(graph.nodes()).containsExactlyInAnyOrder(
        new LineageGraph.Node("student:3", "student:3", LineageGraph.REGISTERED, "/ui/models#model-student-3"),
        new LineageGraph.Node("mlp-teacher", "mlp-teacher", LineageGraph.OTHER_MODEL, "/ui/models#model-mlp-teacher"),
        new LineageGraph.Node("job 0b5e3c1a-0000-4000-8000-000000000001", "job 0b5e3c1a", LineageGraph.JOB,
            "/ui/jobs/0b5e3c1a-0000-4000-8000-000000000001"));

    JsonNode drawn = JSON.readTree(graph.toJson());
    assertThat(drawn.path("categories").size()).isEqualTo(3);
    assertThat(drawn.path("nodes").size()).isEqualTo(3);
    assertThat(drawn.path("edges").findValuesAsString("type")).containsExactlyInAnyOrder("teacher", "produced");
  }

  @Test
  void aModelWithoutLineageIsALoneNode() {
    LineageGraph graph = LineageGraph.of(models("[{\"name\":\"imported\",\"version\":1,\"baseModel\":null}]"));
    assertThat(graph.edges()).isEmpty();
    assertThat(graph.nodes()).hasSize(1);
  }

  private static List<JsonNode> models(String json) {
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(json).forEach(out::add);
    return out;
  }
}
