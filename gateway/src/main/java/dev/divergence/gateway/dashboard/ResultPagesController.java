package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Evaluation runs and merge experiments as their services report them: every suite's metrics with
 * their intervals, pass@k and per-position divergence curves; every split's accuracy and ECE per
 * method against the best baseline, and each method's lambda histogram.
 */
@Controller
class ResultPagesController {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ServiceClient services;

  ResultPagesController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/evaluations")
  String evaluations(Model page) {
    ServiceClient.Answer answer = services.get("evaluation", "/api/v1/evaluation/runs?pageSize=100");
    page.addAttribute("runs", list(answer.body().path("runs")));
    if (!answer.ok()) {
      page.addAttribute("error", Problems.detail(answer));
    }
    return "evaluations";
  }

  @GetMapping("/ui/evaluations/{runId}")
  String evaluation(@PathVariable String runId, Model page) {
    ServiceClient.Answer run = services.get("evaluation", "/api/v1/evaluation/runs/" + JobPagesController.encode(runId));
    if (!run.ok()) {
      page.addAttribute("problem", Problems.detail(run));
      return "not-found";
    }
    page.addAttribute("run", run.body());
    page.addAttribute("suites", list(run.body().path("results")));
    page.addAttribute("chartsJson", evaluationCharts(run.body().path("results")).toString());
    return "evaluation";
  }

  @GetMapping("/ui/merges")
  String merges(Model page) {
    ServiceClient.Answer answer = services.get("merging", "/api/v1/merging/experiments?pageSize=100");
    page.addAttribute("experiments", list(answer.body().path("experiments")));
    if (!answer.ok()) {
      page.addAttribute("error", Problems.detail(answer));
    }
    return "merges";
  }

  @GetMapping("/ui/merges/{experimentId}")
  String merge(@PathVariable String experimentId, Model page) {
    ServiceClient.Answer experiment = services.get("merging", "/api/v1/merging/experiments/" + JobPagesController.encode(experimentId));
    if (!experiment.ok()) {
      page.addAttribute("problem", Problems.detail(experiment));
      return "not-found";
    }
    page.addAttribute("experiment", experiment.body());
    page.addAttribute("splits", list(experiment.body().path("results").path("splits")));
    page.addAttribute("lambdaJson", lambdaHistograms(experiment.body().path("results").path("splits")).toString());
    return "merge";
  }

  /** pass@k as (k, mean) and every per-position divergence curve, for the page's charts. */
  static ObjectNode evaluationCharts(JsonNode results) {
    ObjectNode charts = JSON.createObjectNode();
    ArrayNode passAtK = charts.putArray("passAtK");
    ObjectNode curves = charts.putObject("curves");
    ObjectNode reliability = charts.putObject("reliability");
    for (JsonNode suite : results) {
      suite.path("metrics").properties().forEach(metric -> {
        if (metric.getKey().matches("pass@[0-9]{1,6}")) {
          passAtK.addArray().add(Integer.parseInt(metric.getKey().substring(5))).add(metric.getValue().path("mean").asDouble());
        }
      });
      // per split: (mean confidence, accuracy) of every non-empty bin
      suite.path("details").path("reliability").properties().forEach(split -> {
        ArrayNode points = reliability.putArray(split.getKey());
        split.getValue().forEach(bin -> {
          if (bin.path("count").asLong() > 0) {
            points.addArray().add(bin.path("meanConfidence").asDouble()).add(bin.path("accuracy").asDouble());
          }
        });
      });
      suite.path("details").path("curves").properties().forEach(source ->
          source.getValue().properties().forEach(divergence -> {
            ArrayNode points = curves.putArray(source.getKey() + " " + divergence.getKey());
            divergence.getValue().forEach(point -> points.addArray().add(point.path("position").asInt()).add(point.path("mean").asDouble()));
          }));
    }
    return charts;
  }

  /** split → method → the ten lambda bin counts over [0, 1]. */
  static ObjectNode lambdaHistograms(JsonNode splits) {
    ObjectNode out = JSON.createObjectNode();
    for (JsonNode split : splits) {
      ObjectNode methods = out.putObject(split.path("split").asString());
      for (JsonNode method : split.path("methods")) {
        if (method.path("lambda").path("histogram").isArray()) {
          methods.set(method.path("method").asString(), method.path("lambda").path("histogram"));
        }
      }
    }
    return out;
  }

  private static List<JsonNode> list(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }
}
