package dev.divergence.evaluation.run;

import java.util.LinkedHashMap;
import java.util.Map;

/** What one suite measured: named estimates, and details (curves, tables) as JSON-ready values. */
public record SuiteResult(String suite, Map<String, Estimate> metrics, Map<String, Object> details) {

  public SuiteResult {
    metrics = new LinkedHashMap<>(metrics);
    details = new LinkedHashMap<>(details);
  }
}
