package dev.divergence.gateway.ratelimit;

import jakarta.servlet.http.HttpServletRequest;

/** The classes of calls with separate limits: cheap reads, submissions, and generated tokens. */
public enum RequestClass {
  READ, SUBMISSION, GENERATION;

  static final String GENERATE_PATH = "/api/v1/inference/generate";
  static final String TRAINING_JOBS_PATH = "/api/v1/training/jobs";

  public static RequestClass of(HttpServletRequest request) {
    String method = request.getMethod();
    if ("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)) {
      return READ;
    }
    String path = request.getRequestURI();
    if ("POST".equals(method) && (path.equals(GENERATE_PATH) || path.equals(GENERATE_PATH + "/stream"))) {
      return GENERATION;
    }
    if ("POST".equals(method) && path.equals(TRAINING_JOBS_PATH) && isDryRun(request.getQueryString())) {
      return READ;
    }
    return SUBMISSION;
  }

  /**
   * A training dry run stores nothing, and the dashboard sends one as the user types. The query
   * string is read directly: asking the request for a parameter could consume a form body.
   */
  private static boolean isDryRun(String query) {
    if (query == null) {
      return false;
    }
    for (String pair : query.split("&")) {
      if (pair.equalsIgnoreCase("dryRun=true")) {
        return true;
      }
    }
    return false;
  }

  /** The name in metrics, headers and problems. */
  public String apiName() {
    return switch (this) {
      case READ -> "reads";
      case SUBMISSION -> "submissions";
      case GENERATION -> "generation-tokens";
    };
  }
}
