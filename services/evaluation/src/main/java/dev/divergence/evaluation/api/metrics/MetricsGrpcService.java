package dev.divergence.evaluation.api.metrics;

import dev.divergence.evaluation.metrics.LogitsInput;
import dev.divergence.evaluation.metrics.MetricsCalculator;
import dev.divergence.evaluation.metrics.MetricsCalculator.CalibrationOutcome;
import dev.divergence.evaluation.metrics.MetricsCalculator.DependenceOutcome;
import dev.divergence.evaluation.metrics.MetricsCalculator.DivergenceResult;
import dev.divergence.evaluation.metrics.MetricsCalculator.SinkhornOutcome;
import dev.divergence.evaluation.metrics.RowMatrix;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.math.calibration.ReliabilityBin;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.evaluation.v1.CalibrationRequest;
import dev.divergence.proto.evaluation.v1.CalibrationResponse;
import dev.divergence.proto.evaluation.v1.Convention;
import dev.divergence.proto.evaluation.v1.DistanceCovarianceRequest;
import dev.divergence.proto.evaluation.v1.DistanceCovarianceResponse;
import dev.divergence.proto.evaluation.v1.DivergenceInfo;
import dev.divergence.proto.evaluation.v1.DivergenceParameter;
import dev.divergence.proto.evaluation.v1.DivergencesRequest;
import dev.divergence.proto.evaluation.v1.DivergencesResponse;
import dev.divergence.proto.evaluation.v1.ListDivergencesRequest;
import dev.divergence.proto.evaluation.v1.ListDivergencesResponse;
import dev.divergence.proto.evaluation.v1.LogitsDivergencesRequest;
import dev.divergence.proto.evaluation.v1.Matrix;
import dev.divergence.proto.evaluation.v1.MetricsServiceGrpc;
import dev.divergence.proto.evaluation.v1.PassAtKRequest;
import dev.divergence.proto.evaluation.v1.PassAtKResponse;
import dev.divergence.proto.evaluation.v1.PassAtKValue;
import dev.divergence.proto.evaluation.v1.SinkhornRequest;
import dev.divergence.proto.evaluation.v1.SinkhornResponse;
import dev.divergence.proto.evaluation.v1.VendiScoreRequest;
import dev.divergence.proto.evaluation.v1.VendiScoreResponse;
import dev.divergence.proto.evaluation.v1.VendiScoreValue;
import dev.divergence.proto.evaluation.v1.Wasserstein1DRequest;
import dev.divergence.proto.evaluation.v1.Wasserstein1DResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The Metrics API over gRPC: the same {@link MetricsCalculator} and field names as REST (camelCase,
 * with [row][col]); unset numeric options (0) take the documented defaults.
 */
@Component
public class MetricsGrpcService extends MetricsServiceGrpc.MetricsServiceImplBase {

  private final MetricsCalculator metrics;

  public MetricsGrpcService(MetricsCalculator metrics) {
    this.metrics = metrics;
  }

  @Override
  public void listDivergences(ListDivergencesRequest request, StreamObserver<ListDivergencesResponse> response) {
    ListDivergencesResponse.Builder reply = ListDivergencesResponse.newBuilder();
    for (DivergenceRegistry.Entry entry : metrics.vocabulary()) {
      DivergenceInfo.Builder info = DivergenceInfo.newBuilder().setName(entry.name()).setDescription(entry.description());
      for (DivergenceRegistry.Parameter p : entry.parameters()) {
        info.addParameters(DivergenceParameter.newBuilder().setName(p.name()).setDefaultValue(p.defaultValue())
            .setMin(p.min()).setMax(p.max()).setMeaning(p.meaning()));
      }
      reply.addDivergences(info);
    }
    reply(response, reply.build());
  }

  @Override
  public void divergences(DivergencesRequest request, StreamObserver<DivergencesResponse> response) {
    RowMatrix p = matrix(request.hasP() ? request.getP() : null, "p");
    RowMatrix q = matrix(request.hasQ() ? request.getQ() : null, "q");
    reply(response, toProto(metrics.divergences(request.getDivergence(), request.getParametersMap(), p, q,
        request.getNormalise(), request.getLogBase())));
  }

  @Override
  public void logitsDivergences(LogitsDivergencesRequest request, StreamObserver<DivergencesResponse> response) {
    LogitsInput teacher = logits(request.hasTeacherLogits() ? request.getTeacherLogits() : null, "teacherLogits");
    LogitsInput student = logits(request.hasStudentLogits() ? request.getStudentLogits() : null, "studentLogits");
    boolean[] mask = null;
    if (request.getRowMaskCount() > 0) {
      mask = new boolean[request.getRowMaskCount()];
      for (int i = 0; i < mask.length; i++) {
        mask[i] = request.getRowMask(i);
      }
    }
    reply(response, toProto(metrics.logitsDivergences(request.getDivergence(), request.getParametersMap(), teacher,
        student, request.getTemperature() == 0 ? null : request.getTemperature(), mask, request.getLogBase(),
        request.getTopK() == 0 ? null : request.getTopK())));
  }

  @Override
  public void sinkhorn(SinkhornRequest request, StreamObserver<SinkhornResponse> response) {
    SinkhornOutcome outcome = metrics.sinkhorn(doubles(request.getAList()), doubles(request.getBList()),
        matrix(request.hasCost() ? request.getCost() : null, "cost"), request.getEpsilon(),
        request.getTolerance() == 0 ? null : request.getTolerance(),
        request.getMaxIterations() == 0 ? null : request.getMaxIterations(), request.getReturnPlan());
    SinkhornResponse.Builder reply = SinkhornResponse.newBuilder().setCost(outcome.cost())
        .setIterations(outcome.iterations()).setMarginalError(outcome.marginalError()).setConverged(outcome.converged());
    if (outcome.plan() != null) {
      Matrix.Builder plan = Matrix.newBuilder().setRows(outcome.rows()).setCols(outcome.cols());
      for (double v : outcome.plan()) {
        plan.addFloat64(v);
      }
      reply.setPlan(plan);
    }
    reply(response, reply.build());
  }

  @Override
  public void wasserstein1D(Wasserstein1DRequest request, StreamObserver<Wasserstein1DResponse> response) {
    double distance = metrics.wasserstein1D(doubles(request.getUList()), doubles(request.getVList()),
        optionalDoubles(request.getUWeightsList()), optionalDoubles(request.getVWeightsList()),
        request.getP() == 0 ? null : request.getP());
    reply(response, Wasserstein1DResponse.newBuilder().setDistance(distance).build());
  }

  @Override
  public void calibration(CalibrationRequest request, StreamObserver<CalibrationResponse> response) {
    boolean multiclass = request.hasProbabilities() || request.getTargetsCount() > 0;
    CalibrationOutcome outcome = metrics.calibration(
        request.hasProbabilities() ? matrix(request.getProbabilities(), "probabilities") : null,
        multiclass ? request.getTargetsList().stream().mapToInt(Integer::intValue).toArray() : null,
        multiclass && request.getConfidencesCount() == 0 ? null : doubles(request.getConfidencesList()),
        multiclass && request.getAccuraciesCount() == 0 ? null : doubles(request.getAccuraciesList()),
        request.getBins() == 0 ? null : request.getBins(), request.getNorm(), request.getEdges());
    CalibrationResponse.Builder reply = CalibrationResponse.newBuilder().setCalibrationError(outcome.calibrationError())
        .setNorm(outcome.norm()).setEdges(outcome.edges()).setBrier(outcome.brier());
    for (ReliabilityBin bin : outcome.reliability()) {
      reply.addReliability(dev.divergence.proto.evaluation.v1.ReliabilityBin.newBuilder().setLower(bin.lower())
          .setUpper(bin.upper()).setCount(bin.count()).setMeanConfidence(bin.meanConfidence())
          .setAccuracy(bin.accuracy()));
    }
    reply(response, reply.build());
  }

  @Override
  public void passAtK(PassAtKRequest request, StreamObserver<PassAtKResponse> response) {
    PassAtKResponse.Builder reply = PassAtKResponse.newBuilder();
    for (MetricsCalculator.PassAtKValue value : metrics.passAtK(ints(request.getNList()), ints(request.getCList()),
        ints(request.getKList()))) {
      reply.addValues(PassAtKValue.newBuilder().setK(value.k()).setPassAtK(value.passAtK()));
    }
    reply(response, reply.build());
  }

  @Override
  public void vendiScore(VendiScoreRequest request, StreamObserver<VendiScoreResponse> response) {
    VendiScoreResponse.Builder reply = VendiScoreResponse.newBuilder();
    for (MetricsCalculator.VendiValue value : metrics.vendi(
        request.hasSimilarity() ? matrix(request.getSimilarity(), "similarity") : null,
        request.hasEmbeddings() ? matrix(request.getEmbeddings(), "embeddings") : null, doubles(request.getQList()))) {
      reply.addScores(VendiScoreValue.newBuilder().setQ(value.q()).setScore(value.score()));
    }
    reply(response, reply.build());
  }

  @Override
  public void distanceCovariance(DistanceCovarianceRequest request, StreamObserver<DistanceCovarianceResponse> response) {
    List<RowMatrix> variables = new ArrayList<>();
    for (int i = 0; i < request.getVariablesCount(); i++) {
      variables.add(matrix(request.getVariables(i), "variables[" + i + "]"));
    }
    DependenceOutcome outcome = metrics.distanceCovariance(
        request.hasX() ? matrix(request.getX(), "x") : null, request.hasY() ? matrix(request.getY(), "y") : null,
        variables, request.getEstimator(), request.getExponent() == 0 ? null : request.getExponent(),
        request.hasC() ? request.getC() : null);
    DistanceCovarianceResponse.Builder reply = DistanceCovarianceResponse.newBuilder();
    if (outcome.covarianceSquared() != null) {
      reply.setCovarianceSquared(outcome.covarianceSquared()).setCorrelationSquared(outcome.correlationSquared());
    }
    if (outcome.jointCovarianceSquared() != null) {
      reply.setJointCovarianceSquared(outcome.jointCovarianceSquared());
    }
    reply(response, reply.build());
  }

  private static DivergencesResponse toProto(DivergenceResult result) {
    DivergencesResponse.Builder reply = DivergencesResponse.newBuilder().setDivergence(result.divergence())
        .putAllParameters(result.parameters()).setMean(result.mean())
        .setConvention(Convention.newBuilder().setLogBase(result.convention().logBase())
            .setOrientation(result.convention().orientation()).setDefinition(result.convention().definition())
            .setNormalised(result.convention().normalised()));
    for (double v : result.values()) {
      reply.addValues(v);
    }
    return reply.build();
  }

  /** A proto matrix as float64 (float32 widened exactly); exactly one of the two value fields is set. */
  static RowMatrix matrix(Matrix m, String field) {
    if (m == null) {
      throw new InvalidArgumentException(field, "is required");
    }
    checkOneDtype(m, field);
    double[] values;
    if (m.getFloat32Count() > 0) {
      values = new double[m.getFloat32Count()];
      for (int i = 0; i < values.length; i++) {
        values[i] = m.getFloat32(i);
      }
    } else {
      values = float64Values(m);
    }
    return new RowMatrix(field, values, rows(m, field), cols(m, field));
  }

  static LogitsInput logits(Matrix m, String field) {
    if (m == null) {
      throw new InvalidArgumentException(field, "is required");
    }
    checkOneDtype(m, field);
    int rows = rows(m, field);
    int cols = cols(m, field);
    boolean float32 = m.getFloat32Count() > 0;
    int count = float32 ? m.getFloat32Count() : m.getFloat64Count();
    if ((long) rows * cols != count) {
      throw new InvalidArgumentException(field,
          "has " + count + " values but rows * cols = " + rows + " * " + cols + " = " + (long) rows * cols);
    }
    if (float32) {
      // kept in float32: the library's float32 kernel reads them without a widening copy
      float[] values = new float[count];
      for (int i = 0; i < count; i++) {
        values[i] = m.getFloat32(i);
      }
      return new LogitsInput(field, values, null, rows, cols);
    }
    return new LogitsInput(field, null, float64Values(m), rows, cols);
  }

  /** The primitive getter: no boxing of millions of values. */
  private static double[] float64Values(Matrix m) {
    double[] values = new double[m.getFloat64Count()];
    for (int i = 0; i < values.length; i++) {
      values[i] = m.getFloat64(i);
    }
    return values;
  }

  private static void checkOneDtype(Matrix m, String field) {
    if (m.getFloat32Count() > 0 && m.getFloat64Count() > 0) {
      throw new InvalidArgumentException(field, "sets both float64 and float32 values; set exactly one");
    }
  }

  private static int rows(Matrix m, String field) {
    if (m.getRows() < 1 || m.getRows() > Integer.MAX_VALUE) {
      throw new InvalidArgumentException(field + ".rows", "must be a positive number of rows but is " + m.getRows());
    }
    return m.getRows();
  }

  private static int cols(Matrix m, String field) {
    if (m.getCols() < 1 || m.getCols() > Integer.MAX_VALUE) {
      throw new InvalidArgumentException(field + ".cols", "must be a positive number of columns but is " + m.getCols());
    }
    return m.getCols();
  }

  private static double[] doubles(List<Double> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static double[] optionalDoubles(List<Double> values) {
    return values.isEmpty() ? null : doubles(values);
  }

  private static int[] ints(List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).toArray();
  }

  private static <T> void reply(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }
}
