package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The model registry's lineage as a graph for the models page's chart: every registered model version,
 * every model its lineage names (a built-in, say) and every producing job is a node; an edge runs from
 * the parent to the model it led to and is typed {@code base}, {@code teacher}, {@code reference},
 * {@code produced} (job to model), {@code generalist} or {@code expert} (a merge's parents).
 *
 * <p>A lineage reference without a version ({@code breast-cancer-mlp-teacher}) stands for the newest
 * registered version of that name when there is one, otherwise for a model outside the registry's
 * versions (a built-in); a reference with a version is that version.
 */
final class LineageGraph {

  /** A node of the graph; {@code link} is the dashboard page that shows it. */
  record Node(String id, String label, String category, String link) {}

  /** A typed edge from the parent ({@code source}) to the model it led to ({@code target}). */
  record Edge(String source, String target, String type) {}

  static final String REGISTERED = "registered model";
  static final String OTHER_MODEL = "model outside the registry's versions";
  static final String JOB = "training job";
  static final List<String> CATEGORIES = List.of(REGISTERED, OTHER_MODEL, JOB);

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final List<Edge> edges = new ArrayList<>();

  private LineageGraph() {}

  /** The graph of {@code models}, the training registry's model versions as {@code GET /api/v1/training/models} lists them. */
  static LineageGraph of(Iterable<JsonNode> models) {
    Map<String, Integer> newest = new LinkedHashMap<>();
    for (JsonNode model : models) {
      newest.merge(model.path("name").asString(), model.path("version").asInt(), Math::max);
    }
    LineageGraph graph = new LineageGraph();
    for (JsonNode model : models) {
      String id = reference(model.path("name").asString(), model.path("version").asInt());
      graph.nodes.put(id, new Node(id, id, REGISTERED, "/ui/models#" + anchor(id)));
    }
    for (JsonNode model : models) {
      String id = reference(model.path("name").asString(), model.path("version").asInt());
      graph.parent(model.path("baseModel"), id, "base", newest);
      graph.parent(model.path("teacherModel"), id, "teacher", newest);
      graph.parent(model.path("referenceModel"), id, "reference", newest);
      graph.parent(model.path("mergedFrom").path("generalist"), id, "generalist", newest);
      graph.parent(model.path("mergedFrom").path("expert"), id, "expert", newest);
      if (model.path("producingJob").isString() && !model.path("producingJob").asString().isBlank()) {
        String job = model.path("producingJob").asString();
        String jobId = "job " + job;
        graph.nodes.putIfAbsent(jobId, new Node(jobId, "job " + job.substring(0, Math.min(8, job.length())), JOB,
            "/ui/jobs/" + JobPagesController.encode(job)));
        graph.edges.add(new Edge(jobId, id, "produced"));
      }
    }
    return graph;
  }

  private void parent(JsonNode reference, String child, String type, Map<String, Integer> newest) {
    if (!reference.isString() || reference.asString().isBlank()) {
      return;
    }
    String id = resolve(reference.asString().strip(), newest);
    nodes.putIfAbsent(id, new Node(id, id, OTHER_MODEL, "/ui/models#" + anchor(id)));
    edges.add(new Edge(id, child, type));
  }

  private static String resolve(String reference, Map<String, Integer> newest) {
    if (reference.contains(":")) {
      return reference;
    }
    Integer version = newest.get(reference);
    return version == null ? reference : reference(reference, version);
  }

  static String reference(String name, int version) {
    return name + ":" + version;
  }

  /** The id of the element that shows a model on the models page ({@code name:3} → {@code model-name-3}). */
  static String anchor(String reference) {
    return "model-" + reference.replaceAll("[^A-Za-z0-9_-]", "-");
  }

  List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  List<Edge> edges() {
    return List.copyOf(edges);
  }

  /** What models.js draws: {@code {categories, nodes: [{id, name, category, link}], edges: [{source, target, type}]}}. */
  String toJson() {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode categories = out.putArray("categories");
    CATEGORIES.forEach(categories::add);
    ArrayNode nodeArray = out.putArray("nodes");
    for (Node node : nodes.values()) {
      nodeArray.addObject().put("id", node.id()).put("name", node.label())
          .put("category", CATEGORIES.indexOf(node.category())).put("link", node.link());
    }
    ArrayNode edgeArray = out.putArray("edges");
    for (Edge edge : edges) {
      edgeArray.addObject().put("source", edge.source()).put("target", edge.target()).put("type", edge.type());
    }
    return out.toString();
  }
}
