package dev.divergence.platform.test.fuzz;

/**
 * Settings every fuzz test shares: a fixed default seed, so the build is reproducible, that
 * {@code -Dfuzz.seed=...} overrides (a failure prints the seed it ran with), and a request budget per
 * API that {@code -Dfuzz.requests=...} overrides (raise it for a long exploratory run).
 */
public final class Fuzzing {

  public static final String SEED_PROPERTY = "fuzz.seed";
  public static final String REQUESTS_PROPERTY = "fuzz.requests";
  public static final long DEFAULT_SEED = 20_261_206L;

  private Fuzzing() {}

  public static long seed() {
    return Long.getLong(SEED_PROPERTY, DEFAULT_SEED);
  }

  public static int requests(int defaultCount) {
    return Integer.getInteger(REQUESTS_PROPERTY, defaultCount);
  }
}
