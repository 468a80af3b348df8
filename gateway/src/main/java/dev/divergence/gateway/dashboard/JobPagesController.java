package dev.divergence.gateway.dashboard;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Training jobs: the filtered list (refreshed live), a job's page with its live chart and logs, cancel and retry. */
@Controller
class JobPagesController {

  static final Set<String> STATES = new java.util.LinkedHashSet<>(List.of("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"));
  static final List<String> ALGORITHMS = List.of("distillation", "supervised", "f_dpo", "f_dpg", "rlvr");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ServiceClient services;
  private final JobStreams streams;

  JobPagesController(ServiceClient services, JobStreams streams) {
    this.services = services;
    this.streams = streams;
  }

  @GetMapping("/ui/jobs")
  String list(@RequestParam(required = false) String state, @RequestParam(required = false) String algorithm,
      @RequestParam(required = false) String model, @RequestParam(required = false) String divergence, Model page) {
    fillTable(state, algorithm, model, divergence, page);
    page.addAttribute("states", STATES);
    page.addAttribute("algorithms", ALGORITHMS);
    return "jobs";
  }

  /** The table alone, for the list page's live refresh. */
  @GetMapping("/ui/jobs/table")
  String table(@RequestParam(required = false) String state, @RequestParam(required = false) String algorithm,
      @RequestParam(required = false) String model, @RequestParam(required = false) String divergence, Model page) {
    fillTable(state, algorithm, model, divergence, page);
    return "jobs :: table";
  }

  @GetMapping("/ui/jobs/{jobId}")
  String job(@PathVariable String jobId, Model page) {
    ServiceClient.Answer job = services.get("training", "/api/v1/training/jobs/" + encode(jobId));
    if (!job.ok()) {
      page.addAttribute("problem", Problems.detail(job));
      return "not-found";
    }
    page.addAttribute("job", JobView.of(job.body()));
    page.addAttribute("jobId", jobId);
    page.addAttribute("logs", logs(jobId));
    history(jobId, page);
    return "job";
  }

  /** The attempts and checkpoints table alone, refreshed while the page is open. */
  @GetMapping("/ui/jobs/{jobId}/history")
  String historyFragment(@PathVariable String jobId, Model page) {
    page.addAttribute("jobId", jobId);
    history(jobId, page);
    return "job :: history";
  }

  @GetMapping("/ui/jobs/{jobId}/logs")
  String logsFragment(@PathVariable String jobId, Model page) {
    page.addAttribute("jobId", jobId);
    page.addAttribute("logs", logs(jobId));
    return "job :: logs";
  }

  /** Server-sent events for the job page: {@code job} on every change, {@code points} with new metric points. */
  @GetMapping(path = "/ui/jobs/{jobId}/stream", produces = "text/event-stream")
  SseEmitter stream(@PathVariable String jobId) {
    return streams.open(jobId);
  }

  /** Two or more runs side by side: overlaid curves of one metric at a time, and every metric's last value. */
  @GetMapping("/ui/jobs/compare")
  String compare(@RequestParam(name = "id", required = false) List<String> ids, Model page) {
    List<String> chosen = ids == null ? List.of() : ids.stream().filter(id -> !id.isBlank()).distinct().limit(8).toList();
    if (chosen.size() < 2) {
      page.addAttribute("error", "Choose two or more jobs to compare.");
      fillTable(null, null, null, null, page);
      page.addAttribute("states", STATES);
      page.addAttribute("algorithms", ALGORITHMS);
      return "jobs";
    }
    ObjectNode runs = JSON.createObjectNode();
    List<JobView> jobs = new ArrayList<>();
    java.util.SortedSet<String> metricNames = new java.util.TreeSet<>();
    Map<String, Map<String, Double>> last = new LinkedHashMap<>();
    for (String id : chosen) {
      ServiceClient.Answer job = services.get("training", "/api/v1/training/jobs/" + encode(id));
      if (!job.ok()) {
        page.addAttribute("problem", Problems.detail(job));
        return "not-found";
      }
      JobView view = JobView.of(job.body());
      jobs.add(view);
      JsonNode series = services.get("training", "/api/v1/training/jobs/" + encode(id) + "/metrics").body().path("series");
      ObjectNode run = runs.putObject(view.id());
      run.put("label", view.name().isEmpty() ? view.id() : view.name());
      run.set("series", series);
      Map<String, Double> finals = new LinkedHashMap<>();
      series.properties().forEach(entry -> {
        metricNames.add(entry.getKey());
        JsonNode values = entry.getValue().path("values");
        if (!values.isEmpty()) {
          finals.put(entry.getKey(), values.get(values.size() - 1).asDouble());
        }
      });
      last.put(view.id(), finals);
    }
    page.addAttribute("jobs", jobs);
    page.addAttribute("metrics", metricNames);
    page.addAttribute("last", last);
    page.addAttribute("runsJson", runs.toString());
    return "compare";
  }

  @PostMapping("/ui/jobs/{jobId}/cancel")
  String cancel(@PathVariable String jobId, RedirectAttributes flash) {
    ServiceClient.Answer answer = services.post("training", "/api/v1/training/jobs/" + encode(jobId) + "/cancel", "");
    flash.addFlashAttribute(answer.ok() ? "notice" : "error", answer.ok() ? "Cancellation requested." : Problems.detail(answer));
    return "redirect:/ui/jobs/" + encode(jobId);
  }

  /** A new attempt of a failed or cancelled job, with the budget as edited on the page. */
  @PostMapping("/ui/jobs/{jobId}/retry")
  String retry(@PathVariable String jobId, @RequestParam(required = false) String maxSteps, RedirectAttributes flash) {
    ServiceClient.Answer job = services.get("training", "/api/v1/training/jobs/" + encode(jobId));
    if (!job.ok()) {
      flash.addFlashAttribute("error", Problems.detail(job));
      return "redirect:/ui/jobs/" + encode(jobId);
    }
    ObjectNode budget = job.body().path("spec").path("budget").isObject()
        ? (ObjectNode) job.body().path("spec").path("budget").deepCopy() : JSON.createObjectNode();
    if (maxSteps != null && !maxSteps.isBlank()) {
      JsonNode steps = parseNumber(maxSteps);
      if (steps == null) {
        flash.addFlashAttribute("retryError", "maxSteps: must be a whole number, got '" + maxSteps + "'");
        return "redirect:/ui/jobs/" + encode(jobId);
      }
      budget.set("maxSteps", steps);
    }
    ObjectNode body = JSON.createObjectNode();
    body.set("budget", budget);
    ServiceClient.Answer answer = services.post("training", "/api/v1/training/jobs/" + encode(jobId) + "/retry", body.toString());
    if (answer.ok()) {
      flash.addFlashAttribute("notice", "Retried as attempt " + answer.body().path("attempt").asInt() + ".");
    } else {
      flash.addFlashAttribute("retryError", Problems.fieldMessages(answer).getOrDefault("budget.maxSteps", Problems.detail(answer)));
    }
    return "redirect:/ui/jobs/" + encode(jobId);
  }

  private void fillTable(String state, String algorithm, String model, String divergence, Model page) {
    StringBuilder query = new StringBuilder("/api/v1/training/jobs?pageSize=100");
    Map<String, String> filters = new LinkedHashMap<>();
    filters.put("state", state);
    filters.put("algorithm", algorithm);
    filters.put("model", model);
    filters.forEach((name, value) -> {
      if (value != null && !value.isBlank()) {
        query.append('&').append(name).append('=').append(encode(value.strip()));
      }
    });
    ServiceClient.Answer answer = services.get("training", query.toString());
    List<JobView> jobs = new ArrayList<>();
    if (answer.ok()) {
      for (JsonNode job : answer.body().path("jobs")) {
        JobView view = JobView.of(job);
        if (divergence == null || divergence.isBlank() || divergence.strip().equals(view.divergence())) {
          jobs.add(view);
        }
      }
    } else {
      page.addAttribute("error", Problems.detail(answer));
    }
    page.addAttribute("jobs", jobs);
    page.addAttribute("filter", new Filter(state, algorithm, model, divergence));
  }

  /** Every attempt a worker started, and the checkpoints the job keeps (a resumed attempt starts from the last). */
  private void history(String jobId, Model page) {
    String job = "/api/v1/training/jobs/" + encode(jobId);
    page.addAttribute("attempts", services.get("training", job + "/attempts").items("attempts"));
    page.addAttribute("checkpoints", services.get("training", job + "/checkpoints").items("checkpoints"));
  }

  private List<JsonNode> logs(String jobId) {
    return services.get("training", "/api/v1/training/jobs/" + encode(jobId) + "/logs?limit=200").items();
  }

  private static JsonNode parseNumber(String text) {
    try {
      return JSON.getNodeFactory().numberNode(Long.parseLong(text.strip()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The list's filters as the user set them (null when unset). */
  public record Filter(String state, String algorithm, String model, String divergence) {
    public String query() {
      StringBuilder q = new StringBuilder();
      append(q, "state", state);
      append(q, "algorithm", algorithm);
      append(q, "model", model);
      append(q, "divergence", divergence);
      return q.toString();
    }

    private static void append(StringBuilder q, String name, String value) {
      if (value != null && !value.isBlank()) {
        q.append(q.isEmpty() ? "" : "&").append(name).append('=').append(encode(value));
      }
    }
  }
}
