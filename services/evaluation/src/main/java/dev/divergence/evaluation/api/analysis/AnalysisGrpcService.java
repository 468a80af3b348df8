package dev.divergence.evaluation.api.analysis;

import dev.divergence.evaluation.analysis.Comparison;
import dev.divergence.evaluation.analysis.ComparisonService;
import dev.divergence.evaluation.analysis.Frontier;
import dev.divergence.evaluation.analysis.FrontierQuery;
import dev.divergence.evaluation.analysis.FrontierService;
import dev.divergence.evaluation.analysis.WelchDifference;
import dev.divergence.evaluation.events.RunMessages;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.evaluation.v1.AnalysisServiceGrpc;
import dev.divergence.proto.evaluation.v1.CompareRunsRequest;
import dev.divergence.proto.evaluation.v1.ComparedRun;
import dev.divergence.proto.evaluation.v1.ComparisonResponse;
import dev.divergence.proto.evaluation.v1.FrontierAxis;
import dev.divergence.proto.evaluation.v1.FrontierPoint;
import dev.divergence.proto.evaluation.v1.FrontierResponse;
import dev.divergence.proto.evaluation.v1.FrontierSelection;
import dev.divergence.proto.evaluation.v1.GetFrontierRequest;
import dev.divergence.proto.evaluation.v1.MetricComparison;
import dev.divergence.proto.evaluation.v1.MetricRef;
import dev.divergence.proto.evaluation.v1.SkippedRun;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Component;

/** Frontier and comparison over gRPC: the same services, checks and field names as {@link AnalysisController}. */
@Component
public class AnalysisGrpcService extends AnalysisServiceGrpc.AnalysisServiceImplBase {

  private final FrontierService frontiers;
  private final ComparisonService comparisons;

  public AnalysisGrpcService(FrontierService frontiers, ComparisonService comparisons) {
    this.frontiers = frontiers;
    this.comparisons = comparisons;
  }

  @Override
  public void getFrontier(GetFrontierRequest request, StreamObserver<FrontierResponse> response) {
    Frontier frontier = frontiers.frontier(TenantContext.current(), new FrontierQuery(request.getRunIdsList(), "runIds",
        request.getAlgorithm(), request.getReward(), request.getDivergence(), request.getDivergenceSource(),
        request.getDiversity()));
    response.onNext(toProto(frontier));
    response.onCompleted();
  }

  @Override
  public void compareRuns(CompareRunsRequest request, StreamObserver<ComparisonResponse> response) {
    Comparison comparison = comparisons.compare(TenantContext.current(), request.getA(), request.getB(),
        request.hasLevel() ? request.getLevel() : null);
    response.onNext(toProto(comparison));
    response.onCompleted();
  }

  static FrontierResponse toProto(Frontier frontier) {
    FrontierResponse.Builder proto = FrontierResponse.newBuilder().setReward(toProto(frontier.reward()))
        .setDivergence(toProto(frontier.divergence())).setDiversity(toProto(frontier.diversity()))
        .addAllPareto(frontier.pareto());
    for (Frontier.Point point : frontier.points()) {
      FrontierPoint.Builder p = FrontierPoint.newBuilder().setRunId(point.runId()).setDisplayName(point.displayName())
          .setModel(point.model()).setReward(toProto(point.reward())).setDivergence(toProto(point.divergence()))
          .setDiversity(toProto(point.diversity())).setPareto(point.pareto());
      if (point.modelVersion() != null) {
        p.setModelVersion(point.modelVersion());
      }
      if (point.producingJob() != null) {
        p.setProducingJob(point.producingJob());
      }
      if (point.trainingAlgorithm() != null) {
        p.setTrainingAlgorithm(point.trainingAlgorithm());
      }
      if (point.trainingDivergence() != null) {
        p.setTrainingDivergence(point.trainingDivergence());
      }
      proto.addPoints(p);
    }
    frontier.skipped().forEach(s -> proto.addSkipped(
        SkippedRun.newBuilder().setRunId(s.runId()).setReason(s.reason()).setMessage(s.message())));
    Frontier.Selection selection = frontier.selection();
    FrontierSelection.Builder how = FrontierSelection.newBuilder().setBy(selection.by()).setRuns(selection.runs())
        .setLimit(selection.limit()).setTruncated(selection.truncated());
    if (selection.algorithm() != null) {
      how.setAlgorithm(selection.algorithm());
    }
    return proto.setSelection(how).build();
  }

  private static FrontierAxis toProto(Frontier.Axis axis) {
    return FrontierAxis.newBuilder().setSuite(axis.suite()).setMetric(axis.metric()).setGoal(axis.goal())
        .setMeaning(axis.meaning()).build();
  }

  static ComparisonResponse toProto(Comparison comparison) {
    ComparisonResponse.Builder proto = ComparisonResponse.newBuilder().setA(toProto(comparison.a()))
        .setB(toProto(comparison.b())).setLevel(comparison.level()).setComparable(comparison.comparable())
        .addAllWarnings(comparison.warnings());
    for (Comparison.MetricComparison metric : comparison.metrics()) {
      MetricComparison.Builder m = MetricComparison.newBuilder().setSuite(metric.suite()).setMetric(metric.metric())
          .setA(toProto(metric.a())).setB(toProto(metric.b()));
      if (metric.difference() != null) {
        m.setDifference(toProto(metric.difference()));
      }
      if (metric.note() != null) {
        m.setNote(metric.note());
      }
      proto.addMetrics(m);
    }
    comparison.onlyInA().forEach(r -> proto.addOnlyInA(MetricRef.newBuilder().setSuite(r.suite()).setMetric(r.metric())));
    comparison.onlyInB().forEach(r -> proto.addOnlyInB(MetricRef.newBuilder().setSuite(r.suite()).setMetric(r.metric())));
    return proto.build();
  }

  private static ComparedRun toProto(Comparison.ComparedRun run) {
    ComparedRun.Builder proto = ComparedRun.newBuilder().setRunId(run.runId()).setDisplayName(run.displayName())
        .setModel(run.model()).setSpec(RunMessages.toProto(run.spec()));
    if (run.modelVersion() != null) {
      proto.setModelVersion(run.modelVersion());
    }
    if (run.producingJob() != null) {
      proto.setProducingJob(run.producingJob());
    }
    if (run.trainingAlgorithm() != null) {
      proto.setTrainingAlgorithm(run.trainingAlgorithm());
    }
    if (run.trainingDivergence() != null) {
      proto.setTrainingDivergence(run.trainingDivergence());
    }
    return proto.build();
  }

  private static dev.divergence.proto.evaluation.v1.WelchDifference toProto(WelchDifference difference) {
    var proto = dev.divergence.proto.evaluation.v1.WelchDifference.newBuilder().setDifference(difference.difference());
    if (difference.lower() != null) {
      proto.setLower(difference.lower()).setUpper(difference.upper());
    }
    if (difference.standardError() != null) {
      proto.setStandardError(difference.standardError());
    }
    if (difference.degreesOfFreedom() != null) {
      proto.setDegreesOfFreedom(difference.degreesOfFreedom());
    }
    if (difference.excludesZero() != null) {
      proto.setExcludesZero(difference.excludesZero());
    }
    if (difference.note() != null) {
      proto.setNote(difference.note());
    }
    return proto.build();
  }

  /** As the runs API writes estimates: a metric over zero units has n = 0 and no mean. */
  private static dev.divergence.proto.evaluation.v1.Estimate toProto(Estimate estimate) {
    return RunMessages.toProto(estimate);
  }
}
