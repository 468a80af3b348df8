package dev.divergence.evaluation.api.metrics;

import dev.divergence.evaluation.api.metrics.BinaryPayload.Part;
import dev.divergence.evaluation.metrics.LogitsInput;
import dev.divergence.evaluation.metrics.MetricsCalculator;
import dev.divergence.evaluation.metrics.MetricsCalculator.CalibrationOutcome;
import dev.divergence.evaluation.metrics.MetricsCalculator.DependenceOutcome;
import dev.divergence.evaluation.metrics.MetricsCalculator.DivergenceResult;
import dev.divergence.evaluation.metrics.MetricsCalculator.PassAtKValue;
import dev.divergence.evaluation.metrics.MetricsCalculator.SinkhornOutcome;
import dev.divergence.evaluation.metrics.MetricsCalculator.VendiValue;
import dev.divergence.evaluation.metrics.RowMatrix;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Metrics API over REST: JSON bodies, and for every endpoint with large inputs
 * {@code application/octet-stream} bodies ({@link BinaryPayload}) with the shape, dtype and options as
 * query parameters. docs/evaluation.md.
 */
@RestController
@RequestMapping("/api/v1/evaluation/metrics")
public class MetricsController {

  /** Query parameters of a binary divergence request that are not divergence parameters. */
  private static final String PARAMETER_PREFIX = "parameters.";
  /** Most JdCov variables one binary shape may list (each needs its own pairwise distance matrix). */
  static final int MAX_BINARY_VARIABLES = 64;

  private final MetricsCalculator metrics;

  public MetricsController(MetricsCalculator metrics) {
    this.metrics = metrics;
  }

  public record DivergenceInfo(String name, String description, List<DivergenceRegistry.Parameter> parameters) {}

  @GetMapping("/divergences")
  public List<DivergenceInfo> vocabulary() {
    return metrics.vocabulary().stream().map(e -> new DivergenceInfo(e.name(), e.description(), e.parameters())).toList();
  }

  @PostMapping(path = "/divergences", consumes = MediaType.APPLICATION_JSON_VALUE)
  public DivergenceResult divergences(@RequestBody MetricsRequests.Divergences request) {
    return metrics.divergences(request.divergence(), request.parameters(), RowMatrix.of("p", request.p()),
        RowMatrix.of("q", request.q()), Boolean.TRUE.equals(request.normalise()), request.logBase());
  }

  @PostMapping(path = "/divergences", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public DivergenceResult divergencesBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query) {
    knownParameters(query, "/divergences", true, "shape", "dtype", "divergence", "normalise", "logBase");
    BinaryPayload payload = BinaryPayload.parse(body, query.get("shape"), query.get("dtype"), "p", "q");
    return metrics.divergences(query.get("divergence"), divergenceParameters(query), payload.matrix(0),
        payload.matrix(1), flag(query, "normalise"), query.get("logBase"));
  }

  @PostMapping(path = "/divergences/logits", consumes = MediaType.APPLICATION_JSON_VALUE)
  public DivergenceResult logitsDivergences(@RequestBody MetricsRequests.LogitsDivergences request) {
    return metrics.logitsDivergences(request.divergence(), request.parameters(),
        LogitsInput.of(RowMatrix.of("teacherLogits", request.teacherLogits())),
        LogitsInput.of(RowMatrix.of("studentLogits", request.studentLogits())), request.temperature(),
        request.rowMask(), request.logBase(), request.topK());
  }

  @PostMapping(path = "/divergences/logits", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public DivergenceResult logitsDivergencesBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query) {
    knownParameters(query, "/divergences/logits", true, "shape", "dtype", "divergence", "temperature", "topK", "rowMask",
        "logBase");
    BinaryPayload payload = BinaryPayload.parse(body, query.get("shape"), query.get("dtype"),
        "teacherLogits", "studentLogits");
    return metrics.logitsDivergences(query.get("divergence"), divergenceParameters(query), payload.logits(0),
        payload.logits(1), number(query, "temperature"), rowMask(query.get("rowMask")), query.get("logBase"),
        integer(query, "topK"));
  }

  public record SinkhornResponse(double cost, double[][] plan, int iterations, double marginalError, boolean converged) {}

  /** Response headers of a binary Sinkhorn response (the plan is the body). */
  static final String SINKHORN_COST = "Sinkhorn-Cost";
  static final String SINKHORN_ITERATIONS = "Sinkhorn-Iterations";
  static final String SINKHORN_MARGINAL_ERROR = "Sinkhorn-Marginal-Error";
  static final String SINKHORN_CONVERGED = "Sinkhorn-Converged";
  static final String PLAN_SHAPE = "Plan-Shape";
  static final String PLAN_DTYPE = "Plan-Dtype";

  @PostMapping(path = "/sinkhorn", consumes = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<?> sinkhorn(@RequestBody MetricsRequests.Sinkhorn request,
      @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
    boolean binaryPlan = wantsBinary(accept);
    SinkhornOutcome outcome = metrics.sinkhorn(request.a(), request.b(), RowMatrix.of("cost", request.cost()),
        request.epsilon(), request.tolerance(), request.maxIterations(),
        binaryPlan || Boolean.TRUE.equals(request.returnPlan()));
    return sinkhornReply(outcome, binaryPlan);
  }

  /** Body: a [n], b [m], cost [n, m] with {@code shape=n,m}. */
  @PostMapping(path = "/sinkhorn", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public ResponseEntity<?> sinkhornBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query, @RequestHeader(value = HttpHeaders.ACCEPT, required = false) String accept) {
    knownParameters(query, "/sinkhorn", false, "shape", "dtype", "epsilon", "tolerance", "maxIterations", "returnPlan");
    int[] shape = BinaryPayload.shape(query.get("shape"), "n,m", 2, 2);
    BinaryPayload payload = BinaryPayload.read(body, BinaryPayload.float32(query.get("dtype")),
        Part.vector("a", shape[0]), Part.vector("b", shape[1]), Part.matrix("cost", shape[0], shape[1]));
    boolean binaryPlan = wantsBinary(accept);
    SinkhornOutcome outcome = metrics.sinkhorn(payload.vector(0), payload.vector(1), payload.matrix(2),
        number(query, "epsilon"), number(query, "tolerance"), integer(query, "maxIterations"),
        binaryPlan || flag(query, "returnPlan"));
    return sinkhornReply(outcome, binaryPlan);
  }

  /**
   * JSON, or with {@code Accept: application/octet-stream} the plan as the body (float64, little-endian,
   * row-major [n, m]) and the scalars in headers (Java's shortest round-trip decimal: exact).
   */
  private static ResponseEntity<?> sinkhornReply(SinkhornOutcome outcome, boolean binaryPlan) {
    if (binaryPlan) {
      ByteBuffer plan = ByteBuffer.allocate(outcome.plan().length * 8).order(ByteOrder.LITTLE_ENDIAN);
      plan.asDoubleBuffer().put(outcome.plan());
      return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
          .header(SINKHORN_COST, Double.toString(outcome.cost()))
          .header(SINKHORN_ITERATIONS, Integer.toString(outcome.iterations()))
          .header(SINKHORN_MARGINAL_ERROR, Double.toString(outcome.marginalError()))
          .header(SINKHORN_CONVERGED, Boolean.toString(outcome.converged()))
          .header(PLAN_SHAPE, outcome.rows() + "," + outcome.cols())
          .header(PLAN_DTYPE, "float64")
          .body(plan.array());
    }
    double[][] plan = null;
    if (outcome.plan() != null) {
      plan = new RowMatrix("plan", outcome.plan(), outcome.rows(), outcome.cols()).toRows();
    }
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(new SinkhornResponse(outcome.cost(), plan,
        outcome.iterations(), outcome.marginalError(), outcome.converged()));
  }

  /** A client asking for application/octet-stream and not for JSON. */
  private static boolean wantsBinary(String accept) {
    if (accept == null || accept.isBlank()) {
      return false;
    }
    List<MediaType> types;
    try {
      types = MediaType.parseMediaTypes(accept);
    } catch (InvalidMediaTypeException e) {
      throw new InvalidArgumentException("Accept", "is not a list of media types: " + e.getMessage());
    }
    boolean binary = false;
    for (MediaType type : types) {
      if (type.isCompatibleWith(MediaType.APPLICATION_JSON) && !type.isWildcardType() && !type.isWildcardSubtype()) {
        return false;
      }
      binary |= type.equalsTypeAndSubtype(MediaType.APPLICATION_OCTET_STREAM);
    }
    return binary;
  }

  public record Wasserstein1DResponse(double distance) {}

  @PostMapping(path = "/wasserstein-1d", consumes = MediaType.APPLICATION_JSON_VALUE)
  public Wasserstein1DResponse wasserstein1D(@RequestBody MetricsRequests.Wasserstein1D request) {
    return new Wasserstein1DResponse(
        metrics.wasserstein1D(request.u(), request.v(), request.uWeights(), request.vWeights(), request.p()));
  }

  /** Body: u [n], v [m], and with {@code weighted=true} uWeights [n], vWeights [m]; {@code shape=n,m}. */
  @PostMapping(path = "/wasserstein-1d", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public Wasserstein1DResponse wasserstein1DBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query) {
    knownParameters(query, "/wasserstein-1d", false, "shape", "dtype", "p", "weighted");
    int[] shape = BinaryPayload.shape(query.get("shape"), "n,m", 2, 2);
    boolean float32 = BinaryPayload.float32(query.get("dtype"));
    if (flag(query, "weighted")) {
      BinaryPayload payload = BinaryPayload.read(body, float32, Part.vector("u", shape[0]), Part.vector("v", shape[1]),
          Part.vector("uWeights", shape[0]), Part.vector("vWeights", shape[1]));
      return new Wasserstein1DResponse(metrics.wasserstein1D(payload.vector(0), payload.vector(1), payload.vector(2),
          payload.vector(3), number(query, "p")));
    }
    BinaryPayload payload = BinaryPayload.read(body, float32, Part.vector("u", shape[0]), Part.vector("v", shape[1]));
    return new Wasserstein1DResponse(
        metrics.wasserstein1D(payload.vector(0), payload.vector(1), null, null, number(query, "p")));
  }

  @PostMapping(path = "/calibration", consumes = MediaType.APPLICATION_JSON_VALUE)
  public CalibrationOutcome calibration(@RequestBody MetricsRequests.Calibration request) {
    return metrics.calibration(request.probabilities() == null ? null : RowMatrix.of("probabilities", request.probabilities()),
        request.targets(), request.confidences(), request.accuracies(), request.bins(), request.norm(), request.edges());
  }

  /**
   * Body: probabilities [n, classes] in the dtype, then targets [n] as int32, with {@code shape=n,classes};
   * or confidences [n] then accuracies [n] in the dtype, with {@code shape=n}.
   */
  @PostMapping(path = "/calibration", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public CalibrationOutcome calibrationBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query) {
    knownParameters(query, "/calibration", false, "shape", "dtype", "bins", "norm", "edges");
    int[] shape = BinaryPayload.shape(query.get("shape"), "n,classes (probabilities and targets) or n (confidences and"
        + " accuracies)", 1, 2);
    boolean float32 = BinaryPayload.float32(query.get("dtype"));
    if (shape.length == 1) {
      BinaryPayload payload = BinaryPayload.read(body, float32, Part.vector("confidences", shape[0]),
          Part.vector("accuracies", shape[0]));
      return metrics.calibration(null, null, payload.vector(0), payload.vector(1), integer(query, "bins"),
          query.get("norm"), query.get("edges"));
    }
    BinaryPayload payload = BinaryPayload.read(body, float32, Part.matrix("probabilities", shape[0], shape[1]),
        Part.int32Vector("targets", shape[0]));
    return metrics.calibration(payload.matrix(0), payload.ints(1), null, null, integer(query, "bins"),
        query.get("norm"), query.get("edges"));
  }

  public record PassAtKResponse(List<PassAtKValue> values) {}

  @PostMapping("/pass-at-k")
  public PassAtKResponse passAtK(@RequestBody MetricsRequests.PassAtK request) {
    return new PassAtKResponse(metrics.passAtK(request.n(), request.c(), request.k()));
  }

  public record VendiResponse(List<VendiValue> scores) {}

  @PostMapping(path = "/vendi", consumes = MediaType.APPLICATION_JSON_VALUE)
  public VendiResponse vendi(@RequestBody MetricsRequests.Vendi request) {
    return new VendiResponse(metrics.vendi(
        request.similarity() == null ? null : RowMatrix.of("similarity", request.similarity()),
        request.embeddings() == null ? null : RowMatrix.of("embeddings", request.embeddings()), request.q()));
  }

  /** Body: one matrix [n, d], the similarity (d = n) or the embeddings as {@code input} says; {@code q=1,2,Infinity}. */
  @PostMapping(path = "/vendi", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public VendiResponse vendiBinary(@RequestBody(required = false) byte[] body, @RequestParam Map<String, String> query) {
    knownParameters(query, "/vendi", false, "shape", "dtype", "input", "q");
    String input = query.get("input");
    if (!"similarity".equals(input) && !"embeddings".equals(input)) {
      throw new InvalidArgumentException("input", "must be 'similarity' or 'embeddings' but is '" + input + "'");
    }
    int[] shape = BinaryPayload.shape(query.get("shape"), "n,d", 2, 2);
    BinaryPayload payload = BinaryPayload.read(body, BinaryPayload.float32(query.get("dtype")),
        Part.matrix(input, shape[0], shape[1]));
    RowMatrix matrix = payload.matrix(0);
    return new VendiResponse(metrics.vendi(input.equals("similarity") ? matrix : null,
        input.equals("embeddings") ? matrix : null, numbers(query, "q")));
  }

  @PostMapping(path = "/distance-covariance", consumes = MediaType.APPLICATION_JSON_VALUE)
  public DependenceOutcome distanceCovariance(@RequestBody MetricsRequests.DistanceCovariance request) {
    List<RowMatrix> variables = null;
    if (request.variables() != null) {
      variables = new ArrayList<>();
      for (int i = 0; i < request.variables().length; i++) {
        variables.add(RowMatrix.of("variables[" + i + "]", request.variables()[i]));
      }
    }
    return metrics.distanceCovariance(request.x() == null ? null : RowMatrix.of("x", request.x()),
        request.y() == null ? null : RowMatrix.of("y", request.y()), variables, request.estimator(),
        request.exponent(), request.c());
  }

  /**
   * Body: x [n, dx] then y [n, dy] with {@code shape=n,dx,dy}; or with {@code variables=true} the
   * variables [n, d_i] one after another with {@code shape=n,d1,d2,...}.
   */
  @PostMapping(path = "/distance-covariance", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  public DependenceOutcome distanceCovarianceBinary(@RequestBody(required = false) byte[] body,
      @RequestParam Map<String, String> query) {
    knownParameters(query, "/distance-covariance", false, "shape", "dtype", "variables", "estimator", "exponent", "c");
    boolean joint = flag(query, "variables");
    int[] shape = joint ? BinaryPayload.shape(query.get("shape"), "n,d1,d2,...", 3, 1 + MAX_BINARY_VARIABLES)
        : BinaryPayload.shape(query.get("shape"), "n,dx,dy", 3, 3);
    boolean float32 = BinaryPayload.float32(query.get("dtype"));
    if (joint) {
      Part[] parts = new Part[shape.length - 1];
      for (int i = 0; i < parts.length; i++) {
        parts[i] = Part.matrix("variables[" + i + "]", shape[0], shape[i + 1]);
      }
      BinaryPayload payload = BinaryPayload.read(body, float32, parts);
      List<RowMatrix> variables = new ArrayList<>();
      for (int i = 0; i < parts.length; i++) {
        variables.add(payload.matrix(i));
      }
      return metrics.distanceCovariance(null, null, variables, query.get("estimator"), number(query, "exponent"),
          number(query, "c"));
    }
    BinaryPayload payload = BinaryPayload.read(body, float32, Part.matrix("x", shape[0], shape[1]),
        Part.matrix("y", shape[0], shape[2]));
    return metrics.distanceCovariance(payload.matrix(0), payload.matrix(1), null, query.get("estimator"),
        number(query, "exponent"), number(query, "c"));
  }

  /** Any other metric path: the caller named a metric that does not exist, a field of the request. */
  @PostMapping({"/{metric}", "/{metric}/**"})
  public void unknownMetric(@org.springframework.web.bind.annotation.PathVariable String metric) {
    throw new InvalidArgumentException("metric", "unknown metric '" + metric + "' (known: " + MetricsCalculator.METRICS + ")");
  }

  /**
   * A binary request's query parameters are its JSON fields: one the endpoint does not know (a typo such
   * as {@code normalize}) is a 400 naming it, as an unknown JSON field is, rather than silently ignored.
   */
  private static void knownParameters(Map<String, String> query, String endpoint, boolean divergenceParameters,
      String... known) {
    List<String> names = List.of(known);
    for (String name : query.keySet()) {
      if (!names.contains(name) && !(divergenceParameters && name.startsWith(PARAMETER_PREFIX))) {
        throw new InvalidArgumentException(name, "is not a query parameter of a binary " + endpoint + " request (known: "
            + String.join(", ", names) + (divergenceParameters ? ", " + PARAMETER_PREFIX + "<name>" : "") + ")");
      }
    }
  }

  private static Map<String, Double> divergenceParameters(Map<String, String> query) {
    Map<String, Double> parameters = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : query.entrySet()) {
      if (entry.getKey().startsWith(PARAMETER_PREFIX)) {
        parameters.put(entry.getKey().substring(PARAMETER_PREFIX.length()), number(query, entry.getKey()));
      }
    }
    return parameters;
  }

  private static Double number(Map<String, String> query, String name) {
    String value = query.get(name);
    if (value == null) {
      return null;
    }
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException(name, "must be a number but is '" + value + "'");
    }
  }

  /** {@code q=1,0.5,Infinity}: a comma separated list, each entry named with its index. */
  private static double[] numbers(Map<String, String> query, String name) {
    String value = query.get(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    String[] parts = value.split(",", -1);
    double[] out = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new InvalidArgumentException(name + "[" + i + "]", "must be a number but is '" + parts[i] + "'");
      }
    }
    return out;
  }

  private static Integer integer(Map<String, String> query, String name) {
    String value = query.get(name);
    if (value == null) {
      return null;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new InvalidArgumentException(name, "must be an integer but is '" + value + "'");
    }
  }

  private static boolean flag(Map<String, String> query, String name) {
    String value = query.get(name);
    if (value == null || value.equals("false")) {
      return false;
    }
    if (value.equals("true")) {
      return true;
    }
    throw new InvalidArgumentException(name, "must be 'true' or 'false' but is '" + value + "'");
  }

  /** {@code rowMask=1,0,1}: one 1 (keep) or 0 (drop) per row. */
  private static boolean[] rowMask(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    String[] parts = value.split(",", -1);
    boolean[] mask = new boolean[parts.length];
    for (int i = 0; i < parts.length; i++) {
      switch (parts[i].trim()) {
        case "1", "true" -> mask[i] = true;
        case "0", "false" -> mask[i] = false;
        default -> throw new InvalidArgumentException("rowMask[" + i + "]", "must be 1 or 0 but is '" + parts[i] + "'");
      }
    }
    return mask;
  }
}
