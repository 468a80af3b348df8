package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Evaluation runs and merge experiments as their services report them: every suite's metrics with
 * their intervals, pass@k and per-position divergence curves, the decoding comparison per strategy,
 * two runs compared metric by metric, the alignment-diversity frontier of chosen runs (or of compared
 * training jobs' evaluations); every
 * split's accuracy and ECE per method against the best baseline, each method's lambda histogram, and
 * the per-sample predictions of a split.
 */
@Controller
class ResultPagesController {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  static final List<String> DECODING_MEASURES = List.of("context_following", "prior_following", "true_answer");
  static final int SAMPLE_PAGE = 25;

  private final ServiceClient services;

  ResultPagesController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/evaluations")
  String evaluations(Model page) {
    ServiceClient.Answer answer = services.get("evaluation", "/api/v1/evaluation/runs?pageSize=100");
    page.addAttribute("runs", answer.items("runs"));
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
    page.addAttribute("suites", run.items("results"));
    page.addAttribute("chartsJson", evaluationCharts(run.body().path("results")).toString());
    ObjectNode decoding = decodingComparison(run.body().path("results"));
    if (decoding != null) {
      page.addAttribute("decoding", decoding);
      page.addAttribute("decodingMeasures", DECODING_MEASURES);
      page.addAttribute("decodingJson", decoding.toString());
    }
    return "evaluation";
  }

  /** The frontier of evaluation runs chosen on the evaluations page. */
  @GetMapping("/ui/evaluations/frontier")
  String frontierOfRuns(@RequestParam(name = "runId", required = false) List<String> runIds, Model page) {
    List<String> chosen = runIds == null ? List.of() : runIds.stream().filter(id -> !id.isBlank()).distinct().toList();
    page.addAttribute("runIds", chosen);
    page.addAttribute("unevaluated", List.of());
    fillFrontier(chosen, page);
    return "frontier";
  }

  /**
   * Two evaluation runs ticked on the evaluations page, side by side as the evaluation service's
   * comparison gives them: every metric both measured with the difference b - a and its Welch interval,
   * the metrics only one has, and the warnings when they are not comparable point by point.
   */
  @GetMapping("/ui/evaluations/comparison")
  String comparison(@RequestParam(name = "runId", required = false) List<String> runIds, Model page) {
    List<String> chosen = runIds == null ? List.of() : runIds.stream().filter(id -> !id.isBlank()).distinct().toList();
    if (chosen.size() != 2) {
      page.addAttribute("comparisonError", "Tick exactly two runs to compare them (" + chosen.size() + " ticked).");
      return "comparison";
    }
    ServiceClient.Answer comparison = services.get("evaluation", "/api/v1/evaluation/comparison?a="
        + JobPagesController.encode(chosen.get(0)) + "&b=" + JobPagesController.encode(chosen.get(1)));
    if (!comparison.ok()) {
      page.addAttribute("comparisonError", Problems.detail(comparison));
      return "comparison";
    }
    page.addAttribute("comparison", comparison.body());
    page.addAttribute("compared", comparison.items("metrics"));
    page.addAttribute("onlyInA", comparison.items("onlyInA"));
    page.addAttribute("onlyInB", comparison.items("onlyInB"));
    page.addAttribute("warnings", comparison.items("warnings"));
    return "comparison";
  }

  /**
   * The compare page's frontier (loaded into it once it is shown): each compared training job's newest
   * evaluation run, as the evaluation service lists them beside the job, on one frontier.
   */
  @GetMapping("/ui/jobs/compare/frontier")
  String frontierOfJobs(@RequestParam(name = "id", required = false) List<String> jobIds, Model page) {
    List<String> runIds = new ArrayList<>();
    List<String> unevaluated = new ArrayList<>();
    try {
      for (String jobId : jobIds == null ? List.<String>of() : jobIds.stream().distinct().limit(8).toList()) {
        ServiceClient.Answer runs = services.get("evaluation", "/api/v1/evaluation/training-jobs/" + JobPagesController.encode(jobId) + "/evaluations");
        if (runs.ok() && runs.body().isArray() && !runs.body().isEmpty()) {
          runIds.add(runs.body().get(0).path("runId").asString());
        } else {
          unevaluated.add(jobId);
        }
      }
      page.addAttribute("runIds", runIds);
      page.addAttribute("unevaluated", unevaluated);
      fillFrontier(runIds, page);
    } catch (ServiceClient.ServiceDownException down) {
      page.addAttribute("frontierError", "The evaluation service is unavailable: no frontier.");
    }
    return "frontier :: panel";
  }

  private void fillFrontier(List<String> runIds, Model page) {
    if (runIds.isEmpty()) {
      page.addAttribute("frontierError", "No evaluation runs to place on the frontier.");
      return;
    }
    // GET, a read a viewer may make (at most 100 ids, which fit a URL)
    StringBuilder query = new StringBuilder("/api/v1/evaluation/frontier");
    for (String id : runIds) {
      query.append(query.indexOf("?") < 0 ? '?' : '&').append("runId=").append(JobPagesController.encode(id));
    }
    ServiceClient.Answer frontier = services.get("evaluation", query.toString());
    if (!frontier.ok()) {
      page.addAttribute("frontierError", Problems.detail(frontier));
      return;
    }
    page.addAttribute("frontier", frontier.body());
    page.addAttribute("points", frontier.items("points"));
    page.addAttribute("skipped", frontier.items("skipped"));
    page.addAttribute("frontierJson", frontier.body().toString());
  }

  @GetMapping("/ui/merges")
  String merges(Model page) {
    ServiceClient.Answer answer = services.get("merging", "/api/v1/merging/experiments?pageSize=100");
    page.addAttribute("experiments", answer.items("experiments"));
    if (!answer.ok()) {
      page.addAttribute("error", Problems.detail(answer));
    }
    return "merges";
  }

  @GetMapping("/ui/merges/{experimentId}")
  String merge(@PathVariable String experimentId, @RequestParam(required = false) String split,
      @RequestParam(required = false) String offset, Model page) {
    ServiceClient.Answer experiment = services.get("merging", "/api/v1/merging/experiments/" + JobPagesController.encode(experimentId));
    if (!experiment.ok()) {
      page.addAttribute("problem", Problems.detail(experiment));
      return "not-found";
    }
    page.addAttribute("experiment", experiment.body());
    page.addAttribute("splits", ServiceClient.elements(experiment.body().path("results").path("splits")));
    page.addAttribute("lambdaJson", lambdaHistograms(experiment.body().path("results").path("splits")).toString());
    fillSamples(experimentId, experiment.body(), split, offset, page);
    return "merge";
  }

  /**
   * One page of per-sample predictions of the chosen split (the first by default) from the merging
   * service's samples read; its refusal (a bad offset, say) is shown in place of the table.
   */
  private void fillSamples(String experimentId, JsonNode experiment, String split, String offset, Model page) {
    List<String> splits = new ArrayList<>();
    experiment.path("spec").path("splits").forEach(s -> splits.add(s.path("name").asString()));
    page.addAttribute("sampleSplits", splits);
    if (splits.isEmpty()) {
      return;
    }
    String chosen = split == null || split.isBlank() ? splits.get(0) : split.strip();
    String from = offset == null || offset.isBlank() ? "0" : offset.strip();
    page.addAttribute("sampleSplit", chosen);
    page.addAttribute("sampleOffset", from);
    ServiceClient.Answer samples = services.get("merging", "/api/v1/merging/experiments/" + JobPagesController.encode(experimentId)
        + "/samples?split=" + JobPagesController.encode(chosen) + "&offset=" + JobPagesController.encode(from) + "&limit=" + SAMPLE_PAGE);
    if (!samples.ok()) {
      page.addAttribute("samplesError", Problems.detail(samples));
      return;
    }
    page.addAttribute("samples", samples.body());
    page.addAttribute("sampleMethods", samples.items("methods").stream().map(JsonNode::asString).toList());
    page.addAttribute("sampleRows", samples.items("rows"));
    int start = samples.body().path("offset").asInt();
    int total = samples.body().path("samples").asInt();
    page.addAttribute("samplePrevious", start > 0 ? Math.max(0, start - SAMPLE_PAGE) : null);
    page.addAttribute("sampleNext", start + SAMPLE_PAGE < total ? start + SAMPLE_PAGE : null);
  }

  /**
   * The decoding suite per strategy: strategy (as the suite keys it, parameters included) → measure
   * (context_following, prior_following, true_answer) → the estimate; null when the run has no decoding suite.
   */
  static ObjectNode decodingComparison(JsonNode results) {
    for (JsonNode suite : results) {
      if (!"decoding".equals(suite.path("suite").asString())) {
        continue;
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("conflicts", suite.path("details").path("conflicts").asLong());
      ObjectNode strategies = out.putObject("strategies");
      suite.path("metrics").properties().forEach(metric -> {
        String name = metric.getKey();
        for (String measure : DECODING_MEASURES) {
          if (name.endsWith("." + measure)) {
            String strategy = name.substring(0, name.length() - measure.length() - 1);
            ObjectNode row = strategies.has(strategy) ? (ObjectNode) strategies.get(strategy) : strategies.putObject(strategy);
            row.set(measure, metric.getValue());
          }
        }
      });
      return out;
    }
    return null;
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

}
