package dev.divergence.merging.api;

import dev.divergence.merging.domain.LambdaRange;
import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.merge.MergeService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** REST bodies of /api/v1/merging. */
public final class MergeApiModels {

  private MergeApiModels() {
  }

  /** Body of {@code POST /api/v1/merging/merges}: model names, method name, parameters by name (defaults for the rest). */
  public record CreateMergeRequest(String generalist, String expert, String method, Map<String, Object> parameters) {}

  public record MergeResponse(String mergeId, String generalist, String expert, String method, Map<String, Object> parameters,
      LambdaRange effectiveLambdaRange, String lambdaWeights, Instant createdAt) {

    static MergeResponse of(MergeService.Merge merge, LambdaRange range, String lambdaWeights) {
      var r = merge.record();
      return new MergeResponse(r.mergeId().toString(), r.generalist(), r.expert(), r.method(), merge.method().parameters(), range,
          lambdaWeights, r.createdAt());
    }
  }

  /** Body of {@code POST /api/v1/merging/merges/{id}/export}: the registry name the merged model is registered under. */
  public record ExportRequest(String name) {}

  /** Body of {@code POST /api/v1/merging/merges/{id}/predict}: rows of the models' input width. */
  public record PredictRequest(float[][] inputs) {}

  public record SamplePrediction(double[] probabilities, int predictedClass, double jsDivergence, double lambda,
      double generalistWeight, String dominant) {}

  public record PredictResponse(String mergeId, String method, Map<String, Object> parameters, LambdaRange effectiveLambdaRange,
      String lambdaWeights, String jsUnit, List<SamplePrediction> predictions) {

    static PredictResponse of(String mergeId, MergedPrediction prediction) {
      MergePlan plan = prediction.plan();
      List<SamplePrediction> rows = new ArrayList<>();
      for (int i = 0; i < plan.size(); i++) {
        rows.add(new SamplePrediction(prediction.probabilities()[i], prediction.predictedClass(i), plan.jsDivergence()[i],
            plan.lambda()[i], plan.generalistWeight()[i], plan.dominant(i)));
      }
      return new PredictResponse(mergeId, plan.method(), plan.parameters(), plan.effectiveLambdaRange(), plan.lambdaSide().apiName(),
          plan.jsUnit(), rows);
    }
  }

  /** Body of {@code POST /api/v1/merging/merges/{id}/evaluate}: labelled rows, predicted in batches of batchSize (default 64). */
  public record EvaluateRequest(float[][] inputs, int[] labels, Integer batchSize) {}

  public record EvaluateResponse(String mergeId, String method, Map<String, Object> parameters, int batchSize, MergeMetrics metrics) {}

  /** Body of {@code POST /api/v1/merging/sweeps/wise-ft}: parameters {"alphas": [...]} (default 0, 0.1, ..., 1). */
  public record SweepRequest(String generalist, String expert, Map<String, Object> parameters, float[][] inputs, int[] labels,
      Integer batchSize) {}

  public record SweepResponse(String generalist, String expert, int batchSize, List<MergeService.SweepPoint> points, double bestAlpha) {}
}
