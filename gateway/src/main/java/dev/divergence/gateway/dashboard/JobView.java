package dev.divergence.gateway.dashboard;

import tools.jackson.databind.JsonNode;

/** What the pages show of a training job, read from the training API's job. */
public record JobView(String id, String name, String state, int attempt, String algorithm, String model, String dataset,
    String divergence, long step, long totalSteps, double percent, String eta, String outputModel, String reason,
    String message, String createdAt, String finishedAt, Long maxSteps, String specJson) {

  static final java.util.Set<String> FINISHED = java.util.Set.of("SUCCEEDED", "FAILED", "CANCELLED");

  static JobView of(JsonNode job) {
    JsonNode spec = job.path("spec");
    JsonNode progress = job.path("progress");
    JsonNode eta = progress.path("etaSeconds");
    JsonNode maxSteps = spec.path("budget").path("maxSteps");
    return new JobView(job.path("jobId").asString(), text(job, "displayName"), job.path("state").asString(),
        job.path("attempt").asInt(), text(spec, "algorithm"), text(spec, "model"), text(spec, "dataset"),
        divergenceOf(spec), progress.path("step").asLong(), progress.path("totalSteps").asLong(),
        progress.path("percent").asDouble(), eta.isNumber() ? formatSeconds(eta.asDouble()) : "",
        text(job, "outputModel"), text(job, "reason"), text(job, "message"), text(job, "createdAt"),
        text(job, "finishedAt"), maxSteps.isNumber() ? maxSteps.asLong() : null, spec.toPrettyString());
  }

  public boolean finished() {
    return FINISHED.contains(state);
  }

  public boolean retryable() {
    return "FAILED".equals(state) || "CANCELLED".equals(state);
  }

  /** The divergence the job's method is set to, whichever method it is ("" when it has none). */
  static String divergenceOf(JsonNode spec) {
    for (JsonNode method : spec) {
      if (method.isObject()) {
        JsonNode divergence = method.path("divergence");
        if (divergence.isString()) {
          return divergence.asString();
        }
        if (divergence.path("name").isString()) {
          return divergence.path("name").asString();
        }
        JsonNode regulariser = method.path("regulariser").path("divergence");
        if (regulariser.isString()) {
          return regulariser.asString();
        }
      }
    }
    return "";
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    return value.isNull() || value.isMissingNode() ? "" : value.asString();
  }

  private static String formatSeconds(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? (s / 3600) + " h " + (s % 3600) / 60 + " min" : s >= 60 ? (s / 60) + " min " + (s % 60) + " s" : s + " s";
  }
}
