package dev.divergence.platform.test.fuzz;

/** One request that broke a rule, described so it can be replayed by hand. */
public record FuzzFailure(int index, String rule, String request, String response) {

  @Override
  public String toString() {
    return "request #" + index + " " + rule + "\n  request:  " + request + "\n  response: " + response;
  }
}
