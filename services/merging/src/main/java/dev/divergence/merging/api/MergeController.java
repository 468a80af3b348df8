package dev.divergence.merging.api;

import dev.divergence.merging.api.MergeApiModels.CreateMergeRequest;
import dev.divergence.merging.api.MergeApiModels.EvaluateRequest;
import dev.divergence.merging.api.MergeApiModels.EvaluateResponse;
import dev.divergence.merging.api.MergeApiModels.ExportRequest;
import dev.divergence.merging.api.MergeApiModels.MergeResponse;
import dev.divergence.merging.api.MergeApiModels.PredictRequest;
import dev.divergence.merging.api.MergeApiModels.PredictResponse;
import dev.divergence.merging.api.MergeApiModels.SweepRequest;
import dev.divergence.merging.api.MergeApiModels.SweepResponse;
import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.merge.MergeExporter;
import dev.divergence.merging.merge.MergeService;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Merges of two models and predictions with them; bad input is a 400 problem+json naming the field. */
@RestController
@RequestMapping("/api/v1/merging")
public class MergeController {

  private final MergeService merges;
  private final MergeExporter exporter;

  public MergeController(MergeService merges, MergeExporter exporter) {
    this.merges = merges;
    this.exporter = exporter;
  }

  @PostMapping("/merges")
  public ResponseEntity<MergeResponse> create(@RequestBody CreateMergeRequest request) {
    MergeService.Merge merge = merges.create(request.generalist(), request.expert(), request.method(), request.parameters());
    MergeResponse body = response(merge);
    return ResponseEntity.created(URI.create("/api/v1/merging/merges/" + body.mergeId())).body(body);
  }

  @GetMapping("/merges/{mergeId}")
  public MergeResponse get(@PathVariable String mergeId) {
    return response(merges.get(mergeId));
  }

  private MergeResponse response(MergeService.Merge merge) {
    var plan = merges.describe(merge);
    return MergeResponse.of(merge, plan.effectiveLambdaRange(), plan.lambdaSide().apiName());
  }

  /**
   * Registers a static merge's weights in the model registry (201, Location: the registry's model);
   * per-sample, per-batch and output methods are a 400 naming {@code method}.
   */
  @PostMapping("/merges/{mergeId}/export")
  public ResponseEntity<MergeExporter.Export> export(@PathVariable String mergeId, @RequestBody ExportRequest request) {
    MergeExporter.Export export = exporter.export(mergeId, request.name());
    return ResponseEntity.created(URI.create("/api/v1/training/models/" + export.model())).body(export);
  }

  @PostMapping("/merges/{mergeId}/predict")
  public PredictResponse predict(@PathVariable String mergeId, @RequestBody PredictRequest request) {
    if (request.inputs() == null) {
      throw new InvalidArgumentException("inputs", "is required");
    }
    return PredictResponse.of(mergeId, merges.predict(mergeId, request.inputs()));
  }

  @PostMapping("/merges/{mergeId}/evaluate")
  public EvaluateResponse evaluate(@PathVariable String mergeId, @RequestBody EvaluateRequest request) {
    if (request.inputs() == null) {
      throw new InvalidArgumentException("inputs", "is required");
    }
    MergeMetrics metrics = merges.evaluate(mergeId, request.inputs(), request.labels(), request.batchSize());
    MergeService.Merge merge = merges.get(mergeId);
    int batchSize = request.batchSize() == null ? ModelPair.DEFAULT_EVALUATION_BATCH : request.batchSize();
    return new EvaluateResponse(mergeId, merge.record().method(), merge.method().parameters(), batchSize, metrics);
  }

  /** WiSE-FT at each alpha, scored on labelled inputs; nothing is stored. */
  @PostMapping("/sweeps/wise-ft")
  public SweepResponse sweepWiseFt(@RequestBody SweepRequest request) {
    if (request.inputs() == null) {
      throw new InvalidArgumentException("inputs", "is required");
    }
    var points = merges.sweepWiseFt(request.generalist(), request.expert(), request.parameters(), request.inputs(), request.labels(),
        request.batchSize());
    int batchSize = request.batchSize() == null ? ModelPair.DEFAULT_EVALUATION_BATCH : request.batchSize();
    return new SweepResponse(request.generalist(), request.expert(), batchSize, points, MergeService.best(points).alpha());
  }
}
