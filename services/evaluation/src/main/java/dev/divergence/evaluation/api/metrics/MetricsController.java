package dev.divergence.evaluation.api.metrics;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Metrics API over REST: JSON bodies, and {@code application/octet-stream} bodies with the
 * shape and dtype as query parameters for the large divergence inputs. docs/evaluation.md.
 */
@RestController
@RequestMapping("/api/v1/evaluation/metrics")
public class MetricsController {

  /** Query parameters of a binary divergence request that are not divergence parameters. */
  private static final String PARAMETER_PREFIX = "parameters.";

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
    BinaryPayload payload = BinaryPayload.parse(body, query.get("shape"), query.get("dtype"),
        "teacherLogits", "studentLogits");
    return metrics.logitsDivergences(query.get("divergence"), divergenceParameters(query), payload.logits(0),
        payload.logits(1), number(query, "temperature"), rowMask(query.get("rowMask")), query.get("logBase"),
        integer(query, "topK"));
  }

  public record SinkhornResponse(double cost, double[][] plan, int iterations, double marginalError, boolean converged) {}

  @PostMapping("/sinkhorn")
  public SinkhornResponse sinkhorn(@RequestBody MetricsRequests.Sinkhorn request) {
    SinkhornOutcome outcome = metrics.sinkhorn(request.a(), request.b(), RowMatrix.of("cost", request.cost()),
        request.epsilon(), request.tolerance(), request.maxIterations(), Boolean.TRUE.equals(request.returnPlan()));
    double[][] plan = null;
    if (outcome.plan() != null) {
      plan = new RowMatrix("plan", outcome.plan(), outcome.rows(), outcome.cols()).toRows();
    }
    return new SinkhornResponse(outcome.cost(), plan, outcome.iterations(), outcome.marginalError(), outcome.converged());
  }

  public record Wasserstein1DResponse(double distance) {}

  @PostMapping("/wasserstein-1d")
  public Wasserstein1DResponse wasserstein1D(@RequestBody MetricsRequests.Wasserstein1D request) {
    return new Wasserstein1DResponse(
        metrics.wasserstein1D(request.u(), request.v(), request.uWeights(), request.vWeights(), request.p()));
  }

  @PostMapping("/calibration")
  public CalibrationOutcome calibration(@RequestBody MetricsRequests.Calibration request) {
    return metrics.calibration(request.probabilities() == null ? null : RowMatrix.of("probabilities", request.probabilities()),
        request.targets(), request.confidences(), request.accuracies(), request.bins(), request.norm(), request.edges());
  }

  public record PassAtKResponse(List<PassAtKValue> values) {}

  @PostMapping("/pass-at-k")
  public PassAtKResponse passAtK(@RequestBody MetricsRequests.PassAtK request) {
    return new PassAtKResponse(metrics.passAtK(request.n(), request.c(), request.k()));
  }

  public record VendiResponse(List<VendiValue> scores) {}

  @PostMapping("/vendi")
  public VendiResponse vendi(@RequestBody MetricsRequests.Vendi request) {
    return new VendiResponse(metrics.vendi(
        request.similarity() == null ? null : RowMatrix.of("similarity", request.similarity()),
        request.embeddings() == null ? null : RowMatrix.of("embeddings", request.embeddings()), request.q()));
  }

  @PostMapping("/distance-covariance")
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

  /** Any other metric path: the caller named a metric that does not exist, a field of the request. */
  @PostMapping({"/{metric}", "/{metric}/**"})
  public void unknownMetric(@org.springframework.web.bind.annotation.PathVariable String metric) {
    throw new InvalidArgumentException("metric", "unknown metric '" + metric + "' (known: " + MetricsCalculator.METRICS + ")");
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
