package dev.divergence.platform.test.fuzz;

import java.util.List;
import java.util.Map;

/**
 * What a fuzzing run did: how many requests, how they were answered, and every rule broken, with the
 * seed that reproduces the run.
 */
public record FuzzReport(String api, long seed, int requests, Map<String, Integer> outcomes, List<FuzzFailure> failures) {

  /** Fails with the seed, how to rerun, and the first failures (request and response) when any rule was broken. */
  public void assertNoFailures() {
    if (failures.isEmpty()) {
      return;
    }
    StringBuilder message = new StringBuilder()
        .append(api).append(": ").append(failures.size()).append(" of ").append(requests)
        .append(" fuzzed requests broke a rule (seed ").append(seed).append("; rerun with -D")
        .append(Fuzzing.SEED_PROPERTY).append('=').append(seed).append(")\n");
    failures.stream().limit(10).forEach(failure -> message.append(failure).append('\n'));
    throw new AssertionError(message.toString());
  }

  @Override
  public String toString() {
    return api + ": " + requests + " requests, seed " + seed + ", outcomes " + outcomes + ", failures " + failures.size();
  }
}
