package dev.divergence.evaluation.metrics;

import dev.divergence.math.Checks;
import dev.divergence.math.LogBase;
import dev.divergence.math.Normalisation;
import dev.divergence.math.calibration.BinEdges;
import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import dev.divergence.math.calibration.ReliabilityBin;
import dev.divergence.math.dependence.DistanceCovariance;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.diversity.VendiScore;
import dev.divergence.math.evaluation.PassAtK;
import dev.divergence.math.logits.LogitsBatch;
import dev.divergence.math.logits.LogitsDivergence;
import dev.divergence.math.logits.LogitsOptions;
import dev.divergence.math.logits.ProbabilityRows;
import dev.divergence.math.logits.Reduction;
import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.math.transport.Sinkhorn;
import dev.divergence.math.transport.SinkhornOptions;
import dev.divergence.math.transport.SinkhornResult;
import dev.divergence.math.transport.Wasserstein1D;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springframework.stereotype.Service;

/**
 * The Metrics API's one implementation behind REST and gRPC: checks the request, naming the field
 * and the first offending index, and hands the numbers to libs/divergence unchanged.
 */
@Service
public class MetricsCalculator {

  /** Divergences measured in information units; the others (tv, hellinger, chi2, alpha) have none. */
  private static final Set<String> LOGARITHMIC = Set.of("kl", "reverse_kl", "js", "jsd", "skew_kl", "skew_reverse_kl",
      "jeffreys", "renyi", "bhattacharyya", "cauchy_schwarz", "cauchy_schwarz_squared");
  private static final String PROBABILITY_ORIENTATION =
      "p = the first batch (target: reference, teacher, data), q = the second (model); kl = KL(p||q)";
  private static final String LOGITS_ORIENTATION =
      "p = softmax(teacherLogits / T) (target), q = softmax(studentLogits / T) (model); kl = KL(p||q)";

  /**
   * Largest number of observations of the quadratic metrics (Vendi score, distance covariance): their
   * n x n matrices and O(n^3) eigenvalues must stay within one request's memory and a few seconds.
   */
  public static final int MAX_OBSERVATIONS = 4096;
  /** Largest n of pass@k (samples per problem) and the most k values one request computes by default. */
  public static final int MAX_SAMPLES = 100_000;
  public static final int MAX_DEFAULT_K = 1000;
  /** Bounds the time one Sinkhorn request may take (the solver's own default is 100000). */
  public static final int MAX_SINKHORN_ITERATIONS = 1_000_000;
  /** The metrics the REST API serves, for the answer to an unknown one. */
  public static final List<String> METRICS = List.of("divergences", "divergences/logits", "sinkhorn", "wasserstein-1d",
      "calibration", "pass-at-k", "vendi", "distance-covariance");

  public record Convention(String logBase, String orientation, String definition, boolean normalised) {}

  public record DivergenceResult(String divergence, Map<String, Double> parameters, double[] values, double mean,
      Convention convention) {}

  public record SinkhornOutcome(double cost, double[] plan, int rows, int cols, int iterations, double marginalError,
      boolean converged) {}

  public record CalibrationOutcome(double calibrationError, String norm, String edges, double brier,
      List<ReliabilityBin> reliability) {}

  public record PassAtKValue(int k, double passAtK) {}

  public record VendiValue(double q, double score) {}

  public record DependenceOutcome(Double covarianceSquared, Double correlationSquared, Double jointCovarianceSquared) {}

  // ---------------------------------------------------------------- divergences

  public DivergenceResult divergences(String name, Map<String, Double> parameters, RowMatrix p, RowMatrix q,
      boolean normalise, String logBase) {
    Divergence divergence = divergence(name, parameters);
    LogBase base = logBase(logBase, divergence.name());
    p.requireSameShape(q);
    checkProbabilities(p, normalise);
    checkProbabilities(q, normalise);
    Normalisation normalisation = normalise ? Normalisation.NORMALISE : Normalisation.REQUIRE_NORMALISED;
    double[] values = LibraryErrors.call(
        () -> ProbabilityRows.perRow(divergence, p.values(), q.values(), p.rows(), p.cols(), null, normalisation),
        Map.of("p", p, "q", q), Map.of());
    return result(divergence, values, null, base, PROBABILITY_ORIENTATION, normalise);
  }

  public DivergenceResult logitsDivergences(String name, Map<String, Double> parameters, LogitsInput teacher,
      LogitsInput student, Double temperature, boolean[] rowMask, String logBase, Integer topK) {
    Divergence divergence = divergence(name, parameters);
    LogBase base = logBase(logBase, divergence.name());
    if (student.rows() != teacher.rows() || student.cols() != teacher.cols()) {
      throw new InvalidArgumentException(student.field(), "has shape [" + student.rows() + ", " + student.cols()
          + "] but " + teacher.field() + " has [" + teacher.rows() + ", " + teacher.cols() + "] (shapes must match)");
    }
    if (teacher.isFloat() != student.isFloat()) {
      throw new InvalidArgumentException(student.field(), "must have the same dtype as " + teacher.field());
    }
    double t = temperature == null ? 1.0 : temperature;
    if (!(t > 0) || !Double.isFinite(t)) {
      throw new InvalidArgumentException("temperature", "must be a positive finite number but is " + t);
    }
    if (rowMask != null) {
      if (rowMask.length != teacher.rows()) {
        throw new InvalidArgumentException("rowMask",
            "has " + rowMask.length + " entries but there are " + teacher.rows() + " rows (shapes must match)");
      }
      boolean any = false;
      for (boolean keep : rowMask) {
        any |= keep;
      }
      if (!any) {
        throw new InvalidArgumentException("rowMask", "keeps no row");
      }
    }
    checkFinite(teacher);
    checkFinite(student);
    LogitsBatch p = teacher.isFloat() ? LogitsBatch.ofFloats(teacher.floats(), teacher.rows(), teacher.cols())
        : LogitsBatch.ofDoubles(teacher.doubles(), teacher.rows(), teacher.cols());
    LogitsBatch q = student.isFloat() ? LogitsBatch.ofFloats(student.floats(), student.rows(), student.cols())
        : LogitsBatch.ofDoubles(student.doubles(), student.rows(), student.cols());
    LogitsOptions options = new LogitsOptions(t, rowMask, Reduction.NONE);
    if (topK != null) {
      if (topK < 1 || topK > teacher.cols()) {
        throw new InvalidArgumentException("topK", "must be between 1 and the vocabulary size " + teacher.cols()
            + " but is " + topK);
      }
      TopKTeacher coarse = topKTeacher(teacher, t, topK);
      double[] values = LibraryErrors.call(() -> LogitsDivergence.of(divergence).perRowTopK(coarse, q, options),
          Map.of(), Map.of());
      return result(divergence, values, rowMask, base, LOGITS_ORIENTATION + "; p coarsened to its top " + topK
          + " tokens (log-probabilities rounded to float32, as a teacher cache stores them) and one tail bin, q summed"
          + " over the same bins", true);
    }
    double[] values = LibraryErrors.call(() -> LogitsDivergence.of(divergence).perRow(p, q, options),
        Map.of(), Map.of());
    return result(divergence, values, rowMask, base, LOGITS_ORIENTATION, true);
  }

  /**
   * The teacher as a top-k cache holds it (libs/divergence's TopKTeacher): per row the k most probable
   * tokens of softmax(teacher / T) (ties to the lower index), their float32 log-probabilities, and the
   * mass of every other token summed in float64.
   */
  private static TopKTeacher topKTeacher(LogitsInput teacher, double temperature, int k) {
    int rows = teacher.rows();
    int vocab = teacher.cols();
    int[] indices = new int[rows * k];
    float[] logProbs = new float[rows * k];
    double[] tails = new double[rows];
    double[] logP = new double[vocab];
    Integer[] order = new Integer[vocab];
    for (int r = 0; r < rows; r++) {
      long base = (long) r * vocab;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < vocab; i++) {
        logP[i] = teacher.get(base + i) / temperature;
        max = Math.max(max, logP[i]);
      }
      double sum = 0;
      for (int i = 0; i < vocab; i++) {
        sum += Math.exp(logP[i] - max);
      }
      double logZ = max + Math.log(sum);
      for (int i = 0; i < vocab; i++) {
        logP[i] -= logZ;
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> logP[a] != logP[b] ? Double.compare(logP[b], logP[a]) : Integer.compare(a, b));
      boolean[] top = new boolean[vocab];
      for (int j = 0; j < k; j++) {
        indices[r * k + j] = order[j];
        logProbs[r * k + j] = (float) logP[order[j]];
        top[order[j]] = true;
      }
      double tail = 0;
      for (int i = 0; i < vocab; i++) {
        if (!top[i]) {
          tail += Math.exp(logP[i]);
        }
      }
      tails[r] = tail;
    }
    return new TopKTeacher(rows, k, indices, logProbs, tails);
  }

  /** The registry's vocabulary, for clients choosing a name. */
  public List<DivergenceRegistry.Entry> vocabulary() {
    return DivergenceRegistry.names().stream().map(DivergenceRegistry::entry).toList();
  }

  private static Divergence divergence(String name, Map<String, Double> parameters) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException("divergence", "is required (one of " + DivergenceRegistry.names() + ")");
    }
    Map<String, Double> given = parameters == null ? Map.of() : parameters;
    Map<String, String> names = new HashMap<>();
    names.put("divergence", "divergence");
    names.put("parameters", "parameters");
    for (String key : given.keySet()) {
      names.put(key, "parameters." + key);
    }
    for (DivergenceRegistry.Parameter parameter : entryOrNull(name)) {
      names.put(parameter.name(), "parameters." + parameter.name());
    }
    return LibraryErrors.call(() -> DivergenceRegistry.create(name, given), Map.of(), names);
  }

  private static List<DivergenceRegistry.Parameter> entryOrNull(String name) {
    try {
      return DivergenceRegistry.entry(name).parameters();
    } catch (IllegalArgumentException unknown) {
      return List.of();
    }
  }

  private static LogBase logBase(String value, String divergence) {
    if (value == null || value.isEmpty() || value.equals("nats")) {
      return LogBase.NATS;
    }
    if (!value.equals("bits")) {
      throw new InvalidArgumentException("logBase", "must be 'nats' or 'bits' but is '" + value + "'");
    }
    if (!LOGARITHMIC.contains(divergence) && !divergence.equals("js_distance")) {
      throw new InvalidArgumentException("logBase", divergence + " is not measured in information units; leave logBase unset");
    }
    return LogBase.BITS;
  }

  /** Finite, non-negative, and each row summing to one unless it is normalised. */
  private static void checkProbabilities(RowMatrix m, boolean normalise) {
    double[] v = m.values();
    for (int r = 0; r < m.rows(); r++) {
      double sum = 0;
      for (int c = 0, i = r * m.cols(); c < m.cols(); c++, i++) {
        if (!Double.isFinite(v[i])) {
          throw new InvalidArgumentException(m.at(i), "must be finite but is " + v[i]);
        }
        if (v[i] < 0) {
          throw new InvalidArgumentException(m.at(i), "must not be negative but is " + v[i]);
        }
        sum += v[i];
      }
      if (normalise && !(sum > 0)) {
        throw new InvalidArgumentException(m.field() + "[" + r + "]", "sums to 0 and cannot be normalised");
      }
      if (!normalise && Math.abs(sum - 1) > Checks.SUM_TOLERANCE) {
        throw new InvalidArgumentException(m.field() + "[" + r + "]", "sums to " + sum + ", not 1 (within "
            + Checks.SUM_TOLERANCE + "); set normalise to divide each row by its sum");
      }
    }
  }

  private static void checkFinite(LogitsInput logits) {
    long size = logits.size();
    for (long i = 0; i < size; i++) {
      double value = logits.get(i);
      if (!Double.isFinite(value)) {
        throw new InvalidArgumentException(logits.at(i), "must be finite but is " + value);
      }
    }
  }

  private static DivergenceResult result(Divergence divergence, double[] nats, boolean[] rowMask, LogBase base,
      String orientation, boolean normalised) {
    double[] values = new double[nats.length];
    double sum = 0;
    int kept = 0;
    for (int r = 0; r < nats.length; r++) {
      values[r] = inBase(divergence.name(), nats[r], base);
      if (rowMask == null || rowMask[r]) {
        sum += values[r];
        kept++;
      }
    }
    String unit = LOGARITHMIC.contains(divergence.name()) || divergence.name().equals("js_distance")
        ? base.name().toLowerCase(Locale.ROOT) : "none";
    String definition = DivergenceRegistry.entry(divergence.name()).description();
    return new DivergenceResult(divergence.name(), new TreeMap<>(divergence.parameters()), values, sum / kept,
        new Convention(unit, orientation, definition, normalised));
  }

  /** js_distance is sqrt(js): in bits it is sqrt(js / ln 2), as scipy's jensenshannon(base=2). */
  private static double inBase(String divergence, double nats, LogBase base) {
    if (base == LogBase.NATS) {
      return nats;
    }
    return divergence.equals("js_distance") ? nats / Math.sqrt(Math.log(2.0)) : base.fromNats(nats);
  }

  // ---------------------------------------------------------------- transport

  public SinkhornOutcome sinkhorn(double[] a, double[] b, RowMatrix cost, Double epsilon, Double tolerance,
      Integer maxIterations, boolean returnPlan) {
    required(a, "a");
    required(b, "b");
    if (cost.rows() != a.length || cost.cols() != b.length) {
      throw new InvalidArgumentException("cost", "has shape [" + cost.rows() + ", " + cost.cols() + "] but a and b need ["
          + a.length + ", " + b.length + "] (shapes must match)");
    }
    if (epsilon == null) {
      throw new InvalidArgumentException("epsilon", "is required (POT's reg)");
    }
    if (maxIterations != null && maxIterations > MAX_SINKHORN_ITERATIONS) {
      throw new InvalidArgumentException("maxIterations", "must be at most " + MAX_SINKHORN_ITERATIONS + " but is " + maxIterations);
    }
    SinkhornOptions options = LibraryErrors.call(() -> new SinkhornOptions(epsilon,
        tolerance == null ? 1e-9 : tolerance, maxIterations == null ? 100_000 : maxIterations, true, returnPlan),
        Map.of(), Map.of());
    SinkhornResult result = LibraryErrors.call(() -> Sinkhorn.solve(a, b, cost.values(), options),
        Map.of("cost", cost), Map.of());
    return new SinkhornOutcome(result.cost(), result.plan(), a.length, b.length, result.iterations(),
        result.marginalError(), result.converged());
  }

  public double wasserstein1D(double[] u, double[] v, double[] uWeights, double[] vWeights, Double p) {
    required(u, "u");
    required(v, "v");
    if (uWeights != null && uWeights.length != u.length) {
      throw new InvalidArgumentException("uWeights", "has " + uWeights.length + " values but u has " + u.length);
    }
    if (vWeights != null && vWeights.length != v.length) {
      throw new InvalidArgumentException("vWeights", "has " + vWeights.length + " values but v has " + v.length);
    }
    return LibraryErrors.call(() -> Wasserstein1D.distance(u, uWeights, v, vWeights, p == null ? 1.0 : p),
        Map.of(), Map.of());
  }

  // ---------------------------------------------------------------- calibration

  public CalibrationOutcome calibration(RowMatrix probabilities, int[] targets, double[] confidences,
      double[] accuracies, Integer bins, String norm, String edges) {
    boolean multiclass = probabilities != null || targets != null;
    boolean given = confidences != null || accuracies != null;
    if (multiclass == given) {
      throw new InvalidArgumentException("probabilities",
          "give either probabilities with targets (multiclass) or confidences with accuracies, not both or neither");
    }
    int binCount = bins == null ? Calibration.DEFAULT_BINS : bins;
    if (binCount < 1 || binCount > 100_000) {
      throw new InvalidArgumentException("bins", "must be between 1 and 100000 but is " + binCount);
    }
    CalibrationNorm calibrationNorm = switch (norm == null || norm.isEmpty() ? "l1" : norm) {
      case "l1" -> CalibrationNorm.L1;
      case "l2" -> CalibrationNorm.L2;
      case "max" -> CalibrationNorm.MAX;
      default -> throw new InvalidArgumentException("norm", "must be 'l1', 'l2' or 'max' but is '" + norm + "'");
    };
    BinEdges binEdges = switch (edges == null || edges.isEmpty() ? "numpy_histogram" : edges) {
      case "numpy_histogram" -> BinEdges.NUMPY_HISTOGRAM;
      case "torchmetrics" -> BinEdges.TORCHMETRICS;
      case "guo" -> BinEdges.GUO;
      default -> throw new InvalidArgumentException("edges",
          "must be 'numpy_histogram', 'torchmetrics' or 'guo' but is '" + edges + "'");
    };
    double[] conf;
    double[] acc;
    double brier;
    if (multiclass) {
      if (probabilities == null) {
        throw new InvalidArgumentException("probabilities", "is required with targets");
      }
      required(targets, "targets");
      double[][] rows = probabilities.toRows();
      Calibration.TopLabel top = LibraryErrors.call(() -> Calibration.topLabel(rows, targets), Map.of(), Map.of());
      conf = top.confidences();
      acc = top.accuracies();
      brier = Calibration.brier(rows, targets);
    } else {
      required(confidences, "confidences");
      required(accuracies, "accuracies");
      conf = confidences;
      acc = accuracies;
      for (int i = 0; i < acc.length; i++) {
        if (!(acc[i] >= 0 && acc[i] <= 1)) {
          throw new InvalidArgumentException("accuracies[" + i + "]", "must be in [0, 1] but is " + acc[i]);
        }
      }
      brier = LibraryErrors.call(() -> Calibration.brierBinary(confidences, accuracies),
          Map.of(), Map.of("predictions", "confidences", "targets", "accuracies"));
    }
    double error = LibraryErrors.call(() -> Calibration.error(conf, acc, binCount, calibrationNorm, binEdges),
        Map.of(), Map.of());
    List<ReliabilityBin> diagram = List.of(Calibration.reliability(conf, acc, binCount, binEdges));
    return new CalibrationOutcome(error, calibrationNorm.name().toLowerCase(Locale.ROOT),
        binEdges.name().toLowerCase(Locale.ROOT), brier, diagram);
  }

  // ---------------------------------------------------------------- pass@k, diversity, dependence

  public List<PassAtKValue> passAtK(int[] n, int[] c, int[] k) {
    required(n, "n");
    required(c, "c");
    if (n.length == 0) {
      // the estimator averages over problems: with none there is nothing to average
      throw new InvalidArgumentException("n", "must list at least one problem (one number of samples per problem)");
    }
    if (c.length != n.length) {
      throw new InvalidArgumentException("c", "has " + c.length + " entries but n has " + n.length + " (one per problem)");
    }
    int smallestN = Integer.MAX_VALUE;
    for (int i = 0; i < n.length; i++) {
      if (n[i] < 1 || n[i] > MAX_SAMPLES) {
        throw new InvalidArgumentException("n[" + i + "]", "must be between 1 and " + MAX_SAMPLES + " but is " + n[i]);
      }
      if (c[i] < 0 || c[i] > n[i]) {
        throw new InvalidArgumentException("c[" + i + "]", "must be in [0, n[" + i + "] = " + n[i] + "] but is " + c[i]);
      }
      smallestN = Math.min(smallestN, n[i]);
    }
    int[] ks = k;
    if (ks == null || ks.length == 0) {
      if (smallestN > MAX_DEFAULT_K) {
        throw new InvalidArgumentException("k", "is required when every problem has more than " + MAX_DEFAULT_K
            + " samples (list the k values wanted)");
      }
      ks = new int[smallestN];
      for (int j = 0; j < smallestN; j++) {
        ks[j] = j + 1;
      }
    }
    List<PassAtKValue> out = new ArrayList<>(ks.length);
    for (int j = 0; j < ks.length; j++) {
      if (ks[j] < 1) {
        throw new InvalidArgumentException("k[" + j + "]", "must be at least 1 but is " + ks[j]);
      }
      for (int i = 0; i < n.length; i++) {
        if (ks[j] > n[i]) {
          throw new InvalidArgumentException("k[" + j + "]", "is " + ks[j] + " but problem " + i + " has only n[" + i
              + "] = " + n[i] + " samples (k > n is undefined)");
        }
      }
      out.add(new PassAtKValue(ks[j], PassAtK.mean(n, c, ks[j])));
    }
    return out;
  }

  public List<VendiValue> vendi(RowMatrix similarity, RowMatrix embeddings, double[] q) {
    if ((similarity == null) == (embeddings == null)) {
      throw new InvalidArgumentException("similarity", "give either a similarity matrix or embeddings, not both or neither");
    }
    double[] orders = q == null || q.length == 0 ? new double[] {1.0} : q;
    for (int j = 0; j < orders.length; j++) {
      if (Double.isNaN(orders[j]) || orders[j] < 0) {
        throw new InvalidArgumentException("q[" + j + "]", "must be >= 0 (or Infinity) but is " + orders[j]);
      }
    }
    RowMatrix input = similarity != null ? similarity : embeddings;
    if (input.rows() > MAX_OBSERVATIONS) {
      throw new InvalidArgumentException(input.field(), "has " + input.rows() + " rows; at most " + MAX_OBSERVATIONS
          + " items per request");
    }
    RowMatrix k = similarity != null ? similarity : cosineSimilarity(embeddings.requireFinite());
    if (k.rows() != k.cols()) {
      throw new InvalidArgumentException("similarity", "must be square but has shape [" + k.rows() + ", " + k.cols() + "]");
    }
    double[] eigenvalues = LibraryErrors.call(() -> VendiScore.eigenvaluesOfKOverN(k.toRows()),
        Map.of("similarity", k), Map.of());
    List<VendiValue> out = new ArrayList<>(orders.length);
    for (double order : orders) {
      out.add(new VendiValue(order, VendiScore.fromEigenvalues(eigenvalues, order)));
    }
    return out;
  }

  /** K = X X^T on rows scaled to unit norm, as the vendi-score package's embedding score. */
  private static RowMatrix cosineSimilarity(RowMatrix x) {
    int n = x.rows();
    double[][] unit = x.toRows();
    for (int i = 0; i < n; i++) {
      double norm = 0;
      for (double v : unit[i]) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      if (!(norm > 0)) {
        throw new InvalidArgumentException(x.field() + "[" + i + "]", "has norm 0 (cosine similarity is undefined)");
      }
      for (int j = 0; j < unit[i].length; j++) {
        unit[i][j] /= norm;
      }
    }
    double[] k = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        double dot = 0;
        for (int d = 0; d < unit[i].length; d++) {
          dot += unit[i][d] * unit[j][d];
        }
        k[i * n + j] = dot;
        k[j * n + i] = dot;
      }
    }
    return new RowMatrix("embeddings", k, n, n);
  }

  public DependenceOutcome distanceCovariance(RowMatrix x, RowMatrix y, List<RowMatrix> variables, String estimator,
      Double exponent, Double c) {
    boolean pair = x != null || y != null;
    boolean joint = variables != null && !variables.isEmpty();
    if (pair == joint) {
      throw new InvalidArgumentException("x", "give x and y (dCov, dCor) or variables (JdCov), not both or neither");
    }
    DistanceCovariance.Estimator kind = switch (estimator == null || estimator.isEmpty() ? "biased" : estimator) {
      case "biased" -> DistanceCovariance.Estimator.BIASED_V;
      case "unbiased" -> DistanceCovariance.Estimator.UNBIASED_U;
      default -> throw new InvalidArgumentException("estimator", "must be 'biased' or 'unbiased' but is '" + estimator + "'");
    };
    if (joint) {
      if (exponent != null && exponent != 1.0) {
        throw new InvalidArgumentException("exponent", "JdCov is defined here for exponent 1 only");
      }
      double[][][] vars = new double[variables.size()][][];
      for (int i = 0; i < vars.length; i++) {
        vars[i] = observations(variables.get(i)).requireFinite().toRows();
      }
      double value = LibraryErrors.call(
          () -> DistanceCovariance.jointCovarianceSquared(vars, c == null ? 1.0 : c, kind), Map.of(), Map.of());
      return new DependenceOutcome(null, null, value);
    }
    if (x == null || y == null) {
      throw new InvalidArgumentException(x == null ? "x" : "y", "is required");
    }
    if (y.rows() != x.rows()) {
      throw new InvalidArgumentException("y", "has " + y.rows() + " observations but x has " + x.rows() + " (shapes must match)");
    }
    double e = exponent == null ? 1.0 : exponent;
    double[][] xs = observations(x).requireFinite().toRows();
    double[][] ys = observations(y).requireFinite().toRows();
    double covariance = LibraryErrors.call(() -> DistanceCovariance.covarianceSquared(xs, ys, kind, e), Map.of(), Map.of());
    double correlation = DistanceCovariance.correlationSquared(xs, ys, kind, e);
    return new DependenceOutcome(covariance, correlation, null);
  }

  private static RowMatrix observations(RowMatrix m) {
    if (m.rows() > MAX_OBSERVATIONS) {
      throw new InvalidArgumentException(m.field(), "has " + m.rows() + " observations; at most " + MAX_OBSERVATIONS
          + " per request");
    }
    return m;
  }

  private static void required(Object value, String field) {
    if (value == null) {
      throw new InvalidArgumentException(field, "is required");
    }
  }
}
