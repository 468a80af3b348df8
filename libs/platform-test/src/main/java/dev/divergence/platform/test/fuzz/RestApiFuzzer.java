package dev.divergence.platform.test.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends thousands of mutated requests to every operation of a service's OpenAPI document and checks
 * three rules: no answer is a 5xx (nor a timeout), a 400 is problem+json naming the field at fault,
 * and a request that was rejected (any 4xx) changed no row of the service's tables. An operation the
 * test declares {@linkplain Builder#unavailable unavailable} may answer 503 problem+json (a service it
 * needs is absent from the test); such a 503 counts as a rejection and must change nothing either.
 *
 * <p>Each request starts from a valid example the test registers for the operation (or, without one,
 * a value generated from the operation's schema) and is mutated one to three times at random places
 * (see {@link JsonMutator}); path and query parameters get known-valid values (ids the test supplies)
 * or edge cases; some bodies are broken below the JSON level (truncated, invalid UTF-8, a wrong content
 * type, nesting beyond the parser's limit). Because nearly every mutation makes a request invalid,
 * only a small share is accepted, and a test keeps those harmless through the service's configuration
 * (e.g. no training workers) or by skipping an operation. Everything follows from the seed.
 */
public final class RestApiFuzzer {

  /** The platform's rule for a 400: problem+json with the field it is about. */
  private static final BiPredicate<String, String> PROBLEM_NAMING_A_FIELD =
      (type, body) -> type.startsWith("application/problem+json") && body.contains("\"field\"");

  private final String document;
  private final BiPredicate<String, String> badRequestRule;
  private final String badRequestRuleText;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

  private final String baseUrl;
  private final long seed;
  private final int requests;
  private final Map<String, List<String>> examples;
  private final Map<String, Supplier<List<String>>> pathValues;
  private final Set<String> skipped;
  private final Set<String> unavailable;
  private final DatabaseSnapshot database;
  private final Duration timeout;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private RestApiFuzzer(Builder builder) {
    this.baseUrl = builder.baseUrl;
    this.seed = builder.seed;
    this.requests = builder.requests;
    this.examples = builder.examples;
    this.pathValues = builder.pathValues;
    this.skipped = builder.skipped;
    this.unavailable = builder.unavailable;
    this.database = builder.database;
    this.timeout = builder.timeout;
    this.document = builder.document;
    this.badRequestRule = builder.badRequestRule;
    this.badRequestRuleText = builder.badRequestRuleText;
  }

  public static Builder forService(String baseUrl) {
    return new Builder(baseUrl);
  }

  public static final class Builder {
    private final String baseUrl;
    private long seed = Fuzzing.seed();
    private int requests = Fuzzing.requests(1500);
    private final Map<String, List<String>> examples = new HashMap<>();
    private final Map<String, Supplier<List<String>>> pathValues = new HashMap<>();
    private final Set<String> skipped = new HashSet<>();
    private final Set<String> unavailable = new HashSet<>();
    private DatabaseSnapshot database;
    private Duration timeout = Duration.ofSeconds(30);
    private String document;
    private BiPredicate<String, String> badRequestRule = PROBLEM_NAMING_A_FIELD;
    private String badRequestRuleText = "a problem+json naming the field";

    private Builder(String baseUrl) {
      this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder requests(int requests) {
      this.requests = requests;
      return this;
    }

    /** A valid body of {@code method path} (the path as the document writes it, e.g. {@code /api/v1/x/{id}}). */
    public Builder example(String method, String path, String json) {
      examples.computeIfAbsent(key(method, path), k -> new ArrayList<>()).add(json);
      return this;
    }

    /** Valid values of a path parameter (e.g. ids of existing resources), asked for again before each use. */
    public Builder pathValues(String parameter, Supplier<List<String>> values) {
      pathValues.put(parameter, values);
      return this;
    }

    /** Leaves an operation out (say why where you call it). */
    public Builder skip(String method, String path) {
      skipped.add(key(method, path));
      return this;
    }

    /**
     * An operation whose valid requests are answered 503 by design where the test runs the service (it
     * needs a service the test leaves out, such as model inference; say which where you call it): there a
     * 503 problem+json is an answer, not a failure, so the operation is fuzzed instead of skipped. Its bad
     * requests must still be 4xx; a 503 counts as a rejection (it must change no table); any other 5xx,
     * and a 503 of another operation, still fail.
     */
    public Builder unavailable(String method, String path) {
      unavailable.add(key(method, path));
      return this;
    }

    /** The tables a rejected request must leave unchanged. */
    public Builder database(DatabaseSnapshot database) {
      this.database = database;
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /**
     * The OpenAPI document to fuzz from, for a server that does not serve one at {@code /v3/api-docs}
     * (e.g. a protocol published elsewhere, such as KServe's v2 REST API).
     */
    public Builder document(String openApiJson) {
      this.document = openApiJson;
      return this;
    }

    /**
     * What a 400 must carry, as a check of (Content-Type, body) and its wording for the report; the default is
     * the platform's rule, a problem+json naming the field. A server of another protocol has that protocol's.
     */
    public Builder badRequests(String what, BiPredicate<String, String> rule) {
      this.badRequestRuleText = what;
      this.badRequestRule = rule;
      return this;
    }

    public RestApiFuzzer build() {
      return new RestApiFuzzer(this);
    }
  }

  private static String key(String method, String path) {
    return method.toUpperCase() + " " + path;
  }

  private record Operation(String method, String path, JsonNode definition) {}

  private record Request(String method, String uri, String contentType, byte[] body, Map<String, String> headers) {

    String describe() {
      StringBuilder text = new StringBuilder(method).append(' ').append(uri);
      headers.forEach((name, value) -> text.append(" [").append(name).append(": ").append(FuzzValues.printable(value, 200)).append(']'));
      if (body != null) {
        text.append(" [Content-Type: ").append(contentType).append("] body ")
            .append(FuzzValues.printable(new String(body, StandardCharsets.UTF_8), 2000));
      }
      return text.toString();
    }
  }

  public FuzzReport run() throws IOException, InterruptedException {
    JsonNode document = JSON.readTree(this.document != null ? this.document
        : http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v3/api-docs")).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body());
    List<Operation> operations = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
      for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
        if (METHODS.contains(operation.getKey()) && !skipped.contains(key(operation.getKey(), path.getKey()))) {
          operations.add(new Operation(operation.getKey().toUpperCase(), path.getKey(), operation.getValue()));
        }
      }
    }
    if (operations.isEmpty()) {
      throw new IllegalStateException("the OpenAPI document of " + baseUrl + " lists no operations");
    }
    Random random = new Random(seed);
    JsonMutator mutator = new JsonMutator(document, random);
    Map<String, Integer> outcomes = new TreeMap<>();
    List<FuzzFailure> failures = new ArrayList<>();
    DatabaseSnapshot.Watch tables = database == null ? null : database.watch();
    for (int i = 0; i < requests; i++) {
      Operation operation = operations.get(random.nextInt(operations.size()));
      Request request = build(operation, random, mutator);
      boolean documentedUnavailable = unavailable.contains(key(operation.method(), operation.path()));
      int status;
      String answer;
      try {
        HttpResponse<InputStream> response = http.send(toHttp(request), HttpResponse.BodyHandlers.ofInputStream());
        status = response.statusCode();
        String type = response.headers().firstValue("Content-Type").orElse("");
        String text;
        try (InputStream body = response.body()) {
          // an event stream of a valid request stays open: its status and headers are the answer
          text = type.startsWith("text/event-stream") ? "(event stream)"
              : new String(body.readNBytes(1 << 20), StandardCharsets.UTF_8);
        }
        answer = status + " " + FuzzValues.printable(text, 1000);
        if (status == 400 && !badRequestRule.test(type, text)) {
          failures.add(new FuzzFailure(i, "was a 400 without " + badRequestRuleText, request.describe(), answer));
        }
        if (status == 503 && documentedUnavailable && !type.startsWith("application/problem+json")) {
          failures.add(new FuzzFailure(i, "was a 503 without a problem+json", request.describe(), answer));
        }
      } catch (HttpTimeoutException timedOut) {
        failures.add(new FuzzFailure(i, "got no answer within " + timeout.toSeconds() + " s", request.describe(), "-"));
        outcomes.merge("timeout", 1, Integer::sum);
        continue;
      } catch (IOException broken) {
        failures.add(new FuzzFailure(i, "the connection failed", request.describe(), broken.toString()));
        outcomes.merge("io-error", 1, Integer::sum);
        continue;
      }
      outcomes.merge(operation.method() + " " + operation.path() + " " + status, 1, Integer::sum);
      boolean expectedUnavailable = status == 503 && documentedUnavailable;
      if (status >= 500 && !expectedUnavailable) {
        failures.add(new FuzzFailure(i, "was answered with a server error", request.describe(), answer));
      }
      List<String> changed = tables == null ? List.of()
          : tables.changedBy(status >= 400 && status < 500 || expectedUnavailable);
      if (!changed.isEmpty()) {
        failures.add(new FuzzFailure(i, "was rejected but changed the tables " + changed, request.describe(), answer));
      }
    }
    FuzzReport report = new FuzzReport("REST " + baseUrl, seed, requests, outcomes, failures);
    System.out.println(report);
    return report;
  }

  private HttpRequest toHttp(Request request) {
    HttpRequest.Builder http = HttpRequest.newBuilder(URI.create(request.uri())).timeout(timeout);
    request.headers().forEach(http::header);
    HttpRequest.BodyPublisher body = request.body() == null
        ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(request.body());
    if (request.body() != null) {
      http.header("Content-Type", request.contentType());
    }
    return http.method(request.method(), body).build();
  }

  private Request build(Operation operation, Random random, JsonMutator mutator) {
    String path = operation.path();
    StringBuilder query = new StringBuilder();
    Map<String, String> headers = new TreeMap<>();
    for (JsonNode parameter : operation.definition().path("parameters").values()) {
      String name = parameter.path("name").asString();
      String in = parameter.path("in").asString();
      String value = parameterValue(name, parameter.path("schema"), random, mutator);
      switch (in) {
        case "path" -> path = path.replace("{" + name + "}", encode(value));
        case "query" -> {
          if (parameter.path("required").asBoolean(false) || random.nextInt(3) != 0) {
            query.append(query.isEmpty() ? '?' : '&').append(encode(name)).append('=').append(encode(value));
          }
        }
        case "header" -> {
          if (random.nextBoolean()) {
            headers.put(name, headerSafe(value));
          }
        }
        default -> { }
      }
    }
    if (random.nextInt(10) == 0) {
      query.append(query.isEmpty() ? '?' : '&').append("unknown=").append(encode(FuzzValues.string(random)));
    }
    if (random.nextInt(20) == 0) {
      headers.put("X-Tenant-Id", headerSafe(FuzzValues.string(random)));
    }
    byte[] body = null;
    String contentType = "application/json";
    JsonNode requestBody = operation.definition().get("requestBody");
    List<String> bodyExamples = examples.get(key(operation.method(), operation.path()));
    if (requestBody != null || bodyExamples != null) {
      JsonNode tree;
      if (bodyExamples != null && random.nextInt(5) != 0) {
        tree = JSON.readTree(bodyExamples.get(random.nextInt(bodyExamples.size())));
      } else {
        JsonNode content = requestBody == null ? null : requestBody.path("content");
        JsonNode schema = content == null || content.isEmpty() ? null
            : content.has("application/json") ? content.path("application/json").path("schema")
            : content.values().iterator().next().path("schema");
        tree = mutator.generate(schema, 0);
      }
      int mutations = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        tree = mutator.mutate(tree);
      }
      body = JSON.writeValueAsBytes(tree);
      if (random.nextInt(10) == 0) {
        body = brokenBelowJson(body, random);
        if (random.nextInt(4) == 0) {
          contentType = random.nextBoolean() ? "text/plain" : "application/x-www-form-urlencoded";
        }
      }
    }
    return new Request(operation.method(), baseUrl + path + query, contentType, body, headers);
  }

  private String parameterValue(String name, JsonNode schema, Random random, JsonMutator mutator) {
    Supplier<List<String>> known = pathValues.get(name);
    if (known != null && random.nextInt(5) < 3) {
      List<String> values = known.get();
      if (!values.isEmpty()) {
        String value = values.get(random.nextInt(values.size()));
        return random.nextInt(4) == 0 ? FuzzValues.withControlCharacter(random, value) : value;
      }
    }
    if (random.nextBoolean()) {
      JsonNode generated = mutator.generate(schema, 0);
      return generated.isString() ? generated.asString() : generated.toString();
    }
    String value = FuzzValues.string(random);
    return random.nextBoolean() ? FuzzValues.withControlCharacter(random, value) : value;
  }

  /** JSON that no longer parses, or is not UTF-8, or nests deeper than the parser allows. */
  private static byte[] brokenBelowJson(byte[] json, Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> java.util.Arrays.copyOf(json, json.length == 0 ? 0 : random.nextInt(json.length));
      case 1 -> {
        byte[] broken = json.clone();
        if (broken.length > 0) {
          broken[random.nextInt(broken.length)] = (byte) (0x80 | random.nextInt(0x80));
        }
        yield broken;
      }
      case 2 -> new byte[0];
      case 3 -> ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8);
      default -> {
        byte[] noise = new byte[1 + random.nextInt(64)];
        random.nextBytes(noise);
        yield noise;
      }
    };
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** HTTP clients refuse control characters in header values; keep the rest of the edge case. */
  private static String headerSafe(String value) {
    StringBuilder safe = new StringBuilder();
    value.chars().filter(c -> c >= 0x20 && c < 0x7f).limit(1000).forEach(c -> safe.append((char) c));
    return safe.toString();
  }
}
