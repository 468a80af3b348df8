package dev.divergence.bench.gateway;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * bench/run.sh gateway (bench/gateway/run_gateway.sh): the cost of the gateway's authentication and rate
 * limiting, and a sustained open-loop load through the gateway with both on. Everything runs on
 * loopback: an embedded PostgreSQL (the gateway's key store and shared rate-limit buckets), a trivial
 * backend ({@link TrivialBackend}) standing in for every service, the real gateway in child JVMs
 * ({@link BenchGateway}) and this load generator.
 *
 * <pre>
 *   overhead  OUT.json GATEWAY_CLASSPATH WORK_DIR WARMUP PER_ROUND ROUNDS
 *   sustained OUT.json GATEWAY_CLASSPATH WORK_DIR RATE SECONDS SUBMISSIONS_PER_MINUTE MAX_IN_FLIGHT
 *   combine   WORK_DIR OUT.json COMMAND MACHINE
 * </pre>
 */
public final class GatewayBenchmark {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String READ_PATH = "/api/v1/training/jobs?pageSize=20";
  private static final String SUBMIT_PATH = "/api/v1/training/jobs";
  private static final String SUBMIT_BODY =
      "{\"displayName\":\"bench\",\"kind\":\"DISTILLATION\",\"model\":\"tiny-lm\",\"dataset\":\"digits\"}";
  private static final String GENERATE_PATH = "/api/v1/inference/generate";
  private static final String GENERATE_BODY =
      "{\"model\":\"tiny-lm\",\"prompt\":\"12+7=\",\"maxTokens\":8,\"strategy\":{\"name\":\"greedy\"}}";
  /** A bucket that a run of this benchmark never empties (per minute). */
  private static final long NEVER_EMPTY = 1_000_000_000L;

  private GatewayBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "overhead" -> overhead(Path.of(args[1]), args[2], Path.of(args[3]), Integer.parseInt(args[4]),
          Integer.parseInt(args[5]), Integer.parseInt(args[6]));
      case "sustained" -> sustained(Path.of(args[1]), args[2], Path.of(args[3]), Integer.parseInt(args[4]),
          Integer.parseInt(args[5]), Long.parseLong(args[6]), Integer.parseInt(args[7]));
      case "combine" -> combine(Path.of(args[1]), Path.of(args[2]), args[3], args[4]);
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
    System.exit(0);
  }

  // ---------------------------------------------------------------- shared set-up

  /** The platform's key form dvg_<16 hex>_<43 base64url> (docs/security.md), made here as ./platform up does. */
  private static String newAdminKey(SecureRandom random) {
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    random.nextBytes(id);
    random.nextBytes(secret);
    return "dvg_" + HexFormat.of().formatHex(id) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  private static Map<String, String> gatewayEnvironment(String adminKey, SecureRandom random) {
    byte[] identitySecret = new byte[32];
    random.nextBytes(identitySecret);
    return Map.of("DIVERGENCE_SECURITY_IDENTITY_SECRET", Base64.getEncoder().encodeToString(identitySecret),
        "DIVERGENCE_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY", adminKey);
  }

  /** Properties of a gateway on its own database (so no bucket or key of another gateway is shared). */
  private static List<String> gatewayProperties(EmbeddedPostgres postgres, String database, TrivialBackend backend,
      boolean rateLimits, long readsPerMinute, long submissionsPerMinute, long generationTokensPerMinute)
      throws Exception {
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
         Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + database);
    }
    List<String> properties = new ArrayList<>(List.of(
        "--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + database,
        "--spring.datasource.username=postgres",
        "--spring.datasource.password=postgres",
        "--divergence.gateway.grpc.port=-1",
        "--divergence.gateway.rate-limits.enabled=" + rateLimits,
        "--divergence.gateway.rate-limits.reads.capacity=" + readsPerMinute,
        "--divergence.gateway.rate-limits.reads.period=1m",
        "--divergence.gateway.rate-limits.submissions.capacity=" + submissionsPerMinute,
        "--divergence.gateway.rate-limits.submissions.period=1m",
        "--divergence.gateway.rate-limits.generation-tokens.capacity=" + generationTokensPerMinute,
        "--divergence.gateway.rate-limits.generation-tokens.period=1m"));
    for (String service : List.of("training", "inference", "evaluation", "merging")) {
      properties.add("--divergence.gateway.services." + service + ".uri=" + backend.uri());
    }
    return properties;
  }

  private static EmbeddedPostgres startPostgres(Path work) throws Exception {
    Path directory = work.resolve("postgres");
    Files.createDirectories(directory);
    return EmbeddedPostgres.builder().setOverrideWorkingDirectory(directory.toFile()).start();
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpRequest read(String base, String apiKey) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + READ_PATH)).timeout(Duration.ofSeconds(30));
    if (apiKey != null) {
      request.header("X-Api-Key", apiKey);
    }
    return request.GET().build();
  }

  private static String machine() {
    return System.getProperty("bench.machine", "");
  }

  // ---------------------------------------------------------------- (1) overhead

  private record Target(String name, String base, String apiKey, String what) {}

  private static void overhead(Path out, String classpath, Path work, int warmup, int perRound, int rounds)
      throws Exception {
    SecureRandom random = new SecureRandom();
    String adminKey = newAdminKey(random);
    Map<String, String> environment = gatewayEnvironment(adminKey, random);
    List<GatewayProcess> gateways = new ArrayList<>();
    try (EmbeddedPostgres postgres = startPostgres(work); TrivialBackend backend = new TrivialBackend()) {
      System.out.println("== starting three gateways (open edge, auth only, auth + rate limits)");
      // started together (each takes tens of seconds to start on a busy 2-core machine), measured one at a time
      GatewayProcess open = GatewayProcess.launch("open", true, classpath, work.resolve("gateway-open.log"), environment,
          gatewayProperties(postgres, "gw_open", backend, false, NEVER_EMPTY, NEVER_EMPTY, NEVER_EMPTY));
      gateways.add(open);
      GatewayProcess auth = GatewayProcess.launch("auth", false, classpath, work.resolve("gateway-auth.log"), environment,
          gatewayProperties(postgres, "gw_auth", backend, false, NEVER_EMPTY, NEVER_EMPTY, NEVER_EMPTY));
      gateways.add(auth);
      GatewayProcess limited = GatewayProcess.launch("auth_ratelimit", false, classpath,
          work.resolve("gateway-auth-ratelimit.log"), environment,
          gatewayProperties(postgres, "gw_limited", backend, true, NEVER_EMPTY, NEVER_EMPTY, NEVER_EMPTY));
      gateways.add(limited);
      for (GatewayProcess gateway : gateways) {
        gateway.awaitHealthy();
      }

      HttpClient client = client();
      ObjectNode checks = JSON.createObjectNode();
      // the configurations are what they claim: the open edge lets a caller without a key through and forwards
      // no identity; the others refuse it (401); only the rate-limited one answers RateLimit-* headers
      checks.put("open_without_key_status", client.send(read(open.uri(), null), HttpResponse.BodyHandlers.discarding()).statusCode());
      checks.put("auth_without_key_status", client.send(read(auth.uri(), null), HttpResponse.BodyHandlers.discarding()).statusCode());
      checks.put("auth_ratelimit_without_key_status",
          client.send(read(limited.uri(), null), HttpResponse.BodyHandlers.discarding()).statusCode());
      checks.put("auth_ratelimit_header",
          client.send(read(limited.uri(), adminKey), HttpResponse.BodyHandlers.discarding()).headers()
              .firstValue("RateLimit-Limit").orElse("absent"));
      checks.put("auth_ratelimit_header_on_auth_only",
          client.send(read(auth.uri(), adminKey), HttpResponse.BodyHandlers.discarding()).headers()
              .firstValue("RateLimit-Limit").orElse("absent"));
      System.out.println("   checks: " + checks);

      List<Target> targets = List.of(
          new Target("direct", backend.uri(), adminKey, "the trivial backend called directly (no gateway): the floor"),
          new Target("open", open.uri(), adminKey,
              "the gateway with its security chain bypassed for /api/** (bench-only OpenEdge): routing, resilience filters, request id"),
          new Target("auth", auth.uri(), adminKey,
              "the gateway as shipped with divergence.gateway.rate-limits.enabled=false: API key authentication, authorisation, signed identity, headers, audit"),
          new Target("auth_ratelimit", limited.uri(), adminKey,
              "the gateway as shipped: authentication plus a PostgreSQL token bucket per call (capacity never reached)"));
      Map<String, Latencies> latencies = new LinkedHashMap<>();
      Map<String, Long> errors = new LinkedHashMap<>();
      Map<String, Long> identities = new LinkedHashMap<>();
      for (Target target : targets) {
        latencies.put(target.name(), new Latencies());
        errors.put(target.name(), 0L);
        identities.put(target.name(), 0L);
        System.out.println("== warm-up " + target.name() + " (" + warmup + " sequential GETs)");
        sequential(client, target, warmup, null, errors);
      }
      for (int round = 0; round < rounds; round++) {
        // a different order every round, so that no configuration always follows the same one
        for (int i = 0; i < targets.size(); i++) {
          Target target = targets.get((i + round) % targets.size());
          long identitiesBefore = backend.withIdentity.get();
          sequential(client, target, perRound, latencies.get(target.name()), errors);
          identities.merge(target.name(), backend.withIdentity.get() - identitiesBefore, Long::sum);
        }
        System.out.printf("   round %d/%d: p50 direct %.3f, open %.3f, auth %.3f, auth_ratelimit %.3f ms%n", round + 1, rounds,
            latencies.get("direct").percentileMillis(50), latencies.get("open").percentileMillis(50),
            latencies.get("auth").percentileMillis(50), latencies.get("auth_ratelimit").percentileMillis(50));
      }

      ObjectNode result = JSON.createObjectNode();
      result.put("warmup_per_target", warmup);
      result.put("requests_per_round", perRound);
      result.put("rounds", rounds);
      result.set("checks", checks);
      ObjectNode byTarget = result.putObject("targets");
      for (Target target : targets) {
        Latencies l = latencies.get(target.name());
        ObjectNode node = byTarget.putObject(target.name());
        node.put("what", target.what());
        node.put("requests", l.count());
        node.put("errors", errors.get(target.name()));
        node.put("forwarded_with_signed_identity", identities.get(target.name()));
        node.put("p50_ms", round3(l.percentileMillis(50)));
        node.put("p90_ms", round3(l.percentileMillis(90)));
        node.put("p99_ms", round3(l.percentileMillis(99)));
        node.put("mean_ms", round3(l.meanMillis()));
      }
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
      System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    } finally {
      for (GatewayProcess gateway : gateways) {
        gateway.close();
      }
    }
  }

  private static void sequential(HttpClient client, Target target, int count, Latencies into, Map<String, Long> errors)
      throws Exception {
    HttpRequest request = read(target.base(), target.apiKey());
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      long nanos = System.nanoTime() - start;
      if (response.statusCode() != 200) {
        errors.merge(target.name(), 1L, Long::sum);
        if (errors.get(target.name()) <= 3) {
          System.out.println("   " + target.name() + " answered " + response.statusCode() + ": "
              + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
      } else if (into != null) {
        into.add(nanos);
      }
    }
  }

  // ---------------------------------------------------------------- (2) sustained

  private enum Kind { READ, SUBMISSION, GENERATION }

  private static void sustained(Path out, String classpath, Path work, int rate, int seconds, long submissionsPerMinute,
      int maxInFlight) throws Exception {
    SecureRandom random = new SecureRandom();
    String adminKey = newAdminKey(random);
    Map<String, String> environment = gatewayEnvironment(adminKey, random);
    long readsPerMinute = 100_000;
    long generationTokensPerMinute = 50_000;
    GatewayProcess gateway = null;
    try (EmbeddedPostgres postgres = startPostgres(work); TrivialBackend backend = new TrivialBackend()) {
      // the control (-Dbench.sustained.direct=true): the same load to the backend without a gateway, to tell the
      // gateway's limits from those of the load generator and the backend on the same cores
      boolean direct = Boolean.getBoolean("bench.sustained.direct");
      // a second control (-Dbench.sustained.rate-limits=false): the gateway with authentication only, no buckets
      boolean rateLimits = !"false".equals(System.getProperty("bench.sustained.rate-limits"));
      String base;
      String loadKey;
      HttpClient client = client();
      if (direct) {
        System.out.println("== control: the load goes to the backend directly, no gateway");
        base = backend.uri();
        loadKey = adminKey;
      } else {
        System.out.println("== starting the gateway (authentication on, rate limits " + (rateLimits ? "on)" : "off)"));
        gateway = GatewayProcess.launch("sustained", false, classpath, work.resolve("gateway-sustained.log"), environment,
            gatewayProperties(postgres, "gw_sustained", backend, rateLimits, readsPerMinute, submissionsPerMinute,
                generationTokensPerMinute)).awaitHealthy();
        base = gateway.uri();
        // the load's own caller, a submitter key made through the admin API: its buckets are full when the load starts
        HttpResponse<String> made = client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/admin/api-keys"))
            .header("X-Api-Key", adminKey).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-load\",\"roles\":[\"submitter\"]}")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (made.statusCode() != 201) {
          throw new IllegalStateException("making the load's API key answered " + made.statusCode() + ": " + made.body());
        }
        loadKey = JSON.readTree(made.body()).get("apiKey").asString();
      }

      // warm-up with the admin key (its own buckets): every kind of call, so each path is compiled
      System.out.println("== warm-up: 3000 calls of the mix with the admin key, 4 at a time");
      Random warmupMix = new Random(7);
      List<Thread> warmers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Random mix = new Random(warmupMix.nextLong());
        warmers.add(Thread.ofPlatform().start(() -> {
          for (int i = 0; i < 750; i++) {
            try {
              client.send(request(base, pick(mix), adminKey), HttpResponse.BodyHandlers.discarding());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        }));
      }
      for (Thread warmer : warmers) {
        warmer.join();
      }

      System.out.printf("== open loop: %d calls/s for %d s (80%% reads, 15%% submissions, 5%% generations of 8 tokens),"
          + " at most %d in flight%n", rate, seconds, maxInFlight);
      Map<Kind, Map<String, LongAdder>> outcomes = new ConcurrentHashMap<>();
      Map<Kind, Latencies> latencyByKind = new ConcurrentHashMap<>();
      for (Kind kind : Kind.values()) {
        outcomes.put(kind, new ConcurrentHashMap<>());
        latencyByKind.put(kind, new Latencies());
      }
      Latencies all = new Latencies();
      Latencies answered2xx = new Latencies();
      LongAdder retryAfterOn429 = new LongAdder();
      AtomicLong maxLagNanos = new AtomicLong();
      Semaphore inFlight = new Semaphore(maxInFlight);
      Random mix = new Random(20_261_206L);
      long total = (long) rate * seconds;
      long interval = 1_000_000_000L / rate;
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      for (long i = 0; i < total; i++) {
        long due = start + i * interval;
        long now;
        while ((now = System.nanoTime()) < due) {
          LockSupport.parkNanos(due - now);
        }
        long lag = now - due;
        maxLagNanos.accumulateAndGet(lag, Math::max);
        Kind kind = pick(mix);
        if (!inFlight.tryAcquire()) {
          // the bound: a call that would exceed it is not sent and counts as an error
          outcomes.get(kind).computeIfAbsent("not_sent_in_flight_bound", k -> new LongAdder()).increment();
          continue;
        }
        client.sendAsync(request(base, kind, loadKey), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
          // from the time the call was due, so a stalled generator or gateway cannot hide latency (no coordinated omission)
          long nanos = System.nanoTime() - due;
          inFlight.release();
          String outcome = error != null ? "exception_" + rootCause(error).getClass().getSimpleName()
              : Integer.toString(response.statusCode());
          outcomes.get(kind).computeIfAbsent(outcome, k -> new LongAdder()).increment();
          if (error == null) {
            all.add(nanos);
            latencyByKind.get(kind).add(nanos);
            if (response.statusCode() / 100 == 2) {
              answered2xx.add(nanos);
            } else if (response.statusCode() == 429 && response.headers().firstValue("Retry-After").isPresent()) {
              retryAfterOn429.increment();
            }
          }
        });
      }
      long sentEnd = System.nanoTime();
      if (!inFlight.tryAcquire(maxInFlight, 60, TimeUnit.SECONDS)) {
        System.out.println("   calls still in flight 60 s after the last was sent");
      }
      double offeredSeconds = (sentEnd - start) / 1e9;

      ObjectNode result = JSON.createObjectNode();
      result.put("target", direct ? "the backend directly (control, no gateway)"
          : rateLimits ? "the gateway, authentication and rate limits on" : "the gateway, authentication on, rate limits off (control)");
      result.put("rate_per_second", rate);
      result.put("seconds", seconds);
      result.put("calls_scheduled", total);
      result.put("send_seconds", round3(offeredSeconds));
      result.put("max_in_flight", maxInFlight);
      result.put("max_scheduler_lag_ms", round3(maxLagNanos.get() / 1e6));
      ObjectNode limits = result.putObject("rate_limits_per_minute");
      limits.put("reads", readsPerMinute);
      limits.put("submissions", submissionsPerMinute);
      limits.put("generation_tokens", generationTokensPerMinute);
      long errors = 0;
      long count429 = 0;
      long count2xx = 0;
      ObjectNode byKind = result.putObject("kinds");
      for (Kind kind : Kind.values()) {
        ObjectNode node = byKind.putObject(kind.name().toLowerCase());
        ObjectNode statuses = node.putObject("outcomes");
        for (Map.Entry<String, LongAdder> entry : new java.util.TreeMap<>(outcomes.get(kind)).entrySet()) {
          long n = entry.getValue().sum();
          statuses.put(entry.getKey(), n);
          if (entry.getKey().startsWith("2")) {
            count2xx += n;
          } else if (entry.getKey().equals("429")) {
            count429 += n;
          } else {
            errors += n;
          }
        }
        Latencies l = latencyByKind.get(kind);
        node.put("p50_ms", round3(l.percentileMillis(50)));
        node.put("p99_ms", round3(l.percentileMillis(99)));
      }
      result.put("answered_2xx", count2xx);
      result.put("answered_429", count429);
      result.put("answered_429_with_retry_after", retryAfterOn429.sum());
      result.put("errors", errors);
      result.put("p50_ms", round3(all.percentileMillis(50)));
      result.put("p90_ms", round3(all.percentileMillis(90)));
      result.put("p99_ms", round3(all.percentileMillis(99)));
      result.put("max_ms", round3(all.percentileMillis(100)));
      result.put("p50_2xx_ms", round3(answered2xx.percentileMillis(50)));
      result.put("p99_2xx_ms", round3(answered2xx.percentileMillis(99)));
      result.put("backend_requests", backend.requests.get());
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
      System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    } finally {
      if (gateway != null) {
        gateway.close();
      }
    }
  }

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The mix: 80% reads, 15% submissions, 5% short generations. */
  private static Kind pick(Random mix) {
    int draw = mix.nextInt(100);
    return draw < 80 ? Kind.READ : draw < 95 ? Kind.SUBMISSION : Kind.GENERATION;
  }

  private static HttpRequest request(String base, Kind kind, String apiKey) {
    return switch (kind) {
      case READ -> read(base, apiKey);
      case SUBMISSION -> HttpRequest.newBuilder(URI.create(base + SUBMIT_PATH)).timeout(Duration.ofSeconds(30))
          .header("X-Api-Key", apiKey).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(SUBMIT_BODY)).build();
      case GENERATION -> HttpRequest.newBuilder(URI.create(base + GENERATE_PATH)).timeout(Duration.ofSeconds(30))
          .header("X-Api-Key", apiKey).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(GENERATE_BODY)).build();
    };
  }

  private static double round3(double value) {
    return Double.isNaN(value) ? value : Math.round(value * 1000.0) / 1000.0;
  }

  // ---------------------------------------------------------------- results file

  private static void combine(Path work, Path out, String command, String machine) throws Exception {
    ObjectNode file = JSON.createObjectNode();
    file.put("suite", "gateway");
    file.put("machine", machine);
    file.put("date", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    file.put("command", command);
    ArrayNode results = file.putArray("results");
    ObjectNode notes = file.putObject("notes");
    File overheadFile = work.resolve("overhead.json").toFile();
    if (overheadFile.exists()) {
      JsonNode overhead = JSON.readTree(overheadFile);
      JsonNode targets = overhead.get("targets");
      for (String percentile : List.of("p50", "p99")) {
        latency(results, "gateway_open_" + percentile, targets, "open", "direct", percentile,
            "the backend called directly (no gateway)");
        latency(results, "gateway_auth_" + percentile, targets, "auth", "open", percentile,
            "the same gateway with its security chain bypassed (open edge)");
        latency(results, "gateway_auth_ratelimit_" + percentile, targets, "auth_ratelimit", "open", percentile,
            "the same gateway with its security chain bypassed (open edge)");
        latency(results, "ratelimit_only_" + percentile, targets, "auth_ratelimit", "auth", percentile,
            "the same gateway with authentication and no rate limits");
      }
      notes.set("overhead", overhead);
    }
    File sustainedFile = work.resolve("sustained.json").toFile();
    if (sustainedFile.exists()) {
      JsonNode sustained = JSON.readTree(sustainedFile);
      for (String percentile : List.of("p50", "p99")) {
        ObjectNode entry = results.addObject();
        entry.put("name", "sustained_" + sustained.get("rate_per_second").asInt() + "rps_"
            + sustained.get("seconds").asInt() + "s_" + percentile);
        entry.put("unit", "ms (latency, lower is better)");
        entry.put("ours", sustained.get(percentile + "_ms").asDouble());
        entry.putNull("baseline_name");
        entry.putNull("baseline");
        entry.putNull("speedup");
      }
      ObjectNode errors = results.addObject();
      errors.put("name", "sustained_errors");
      errors.put("unit", "calls (neither 2xx nor the rate limit's 429; target 0)");
      errors.put("ours", sustained.get("errors").asLong());
      errors.putNull("baseline_name");
      errors.putNull("baseline");
      errors.putNull("speedup");
      notes.set("sustained", sustained);
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), file);
  }

  /** A latency entry: speedup = baseline / ours (above 1: ours faster); added_ms = ours - baseline. */
  private static void latency(ArrayNode results, String name, JsonNode targets, String ours, String baseline,
      String percentile, String baselineName) {
    double oursMs = targets.get(ours).get(percentile + "_ms").asDouble();
    double baselineMs = targets.get(baseline).get(percentile + "_ms").asDouble();
    ObjectNode entry = results.addObject();
    entry.put("name", name);
    entry.put("unit", "ms (latency, lower is better)");
    entry.put("ours", oursMs);
    entry.put("baseline_name", baselineName);
    entry.put("baseline", baselineMs);
    entry.put("speedup", round3(baselineMs / oursMs));
    entry.put("added_ms", round3(oursMs - baselineMs));
  }
}
