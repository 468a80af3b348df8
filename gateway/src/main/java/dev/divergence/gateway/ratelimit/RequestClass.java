package dev.divergence.gateway.ratelimit;

import jakarta.servlet.http.HttpServletRequest;

/** The classes of calls with separate limits: cheap reads, submissions, and generated tokens. */
public enum RequestClass {
  READ, SUBMISSION, GENERATION;

  static final String GENERATE_PATH = "/api/v1/inference/generate";

  public static RequestClass of(HttpServletRequest request) {
    String method = request.getMethod();
    if ("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method)) {
      return READ;
    }
    String path = request.getRequestURI();
    if ("POST".equals(method) && (path.equals(GENERATE_PATH) || path.equals(GENERATE_PATH + "/stream"))) {
      return GENERATION;
    }
    return SUBMISSION;
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
