package dev.divergence.merging.api;

import dev.divergence.merging.api.ExperimentApiModels.CreateExperimentRequest;
import dev.divergence.merging.api.ExperimentApiModels.ExperimentPage;
import dev.divergence.merging.api.ExperimentApiModels.ExperimentResponse;
import dev.divergence.merging.experiment.ExperimentSamples;
import dev.divergence.merging.experiment.ExperimentService;
import dev.divergence.merging.experiment.MergeExperiment;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.tenancy.TenantContext;
import java.net.URI;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** Merge experiments over REST: create, read, list, cancel, watch (docs/merging.md, "Experiments"). */
@RestController
@RequestMapping("/api/v1/merging/experiments")
public class ExperimentController {

  private final ExperimentService experiments;
  private final ExperimentWatcher watcher;
  private final ExperimentSamples samples;

  public ExperimentController(ExperimentService experiments, ExperimentWatcher watcher, ExperimentSamples samples) {
    this.experiments = experiments;
    this.watcher = watcher;
    this.samples = samples;
  }

  /** Queues an experiment (201), or returns the earlier one with the same idempotency key (200); header or body. */
  @PostMapping
  public ResponseEntity<ExperimentResponse> create(@RequestHeader(name = "Idempotency-Key", required = false) String header,
      @RequestBody CreateExperimentRequest request) {
    if (request == null) {
      throw new InvalidArgumentException("body", "is required");
    }
    String key = request.idempotencyKey() != null ? request.idempotencyKey() : header;
    ExperimentService.Creation creation = experiments.create(TenantContext.current(), key, request.displayName(), request.spec());
    ExperimentResponse body = ExperimentResponse.of(creation.experiment());
    return creation.created() ? ResponseEntity.created(URI.create("/api/v1/merging/experiments/" + body.experimentId())).body(body)
        : ResponseEntity.ok(body);
  }

  /** Newest first; filter by state and merge; page with {@code pageToken} (the last experiment id of the previous page). */
  @GetMapping
  public ExperimentPage list(@RequestParam(required = false) String state, @RequestParam(required = false) String mergeId,
      @RequestParam(required = false) Integer pageSize, @RequestParam(required = false) String pageToken) {
    int size = pageSize == null ? ExperimentService.DEFAULT_PAGE : pageSize;
    List<MergeExperiment> page = experiments.list(TenantContext.current(), ExperimentService.parseState(state), mergeId, pageToken, size);
    String next = page.size() == size ? page.get(page.size() - 1).id().toString() : null;
    return new ExperimentPage(page.stream().map(ExperimentResponse::of).toList(), next);
  }

  @GetMapping("/{experimentId}")
  public ExperimentResponse get(@PathVariable String experimentId) {
    return ExperimentResponse.of(experiments.get(TenantContext.current(), experimentId));
  }

  /** 200 with the experiment (a running one stops before its next evaluation); 409 when it has already ended. */
  @PostMapping("/{experimentId}/cancel")
  public ExperimentResponse cancel(@PathVariable String experimentId) {
    return ExperimentResponse.of(experiments.cancel(TenantContext.current(), experimentId));
  }

  /**
   * Per-sample inspection: a window of one split's rows (the first when none is named) with each method's prediction, confidence and (T³, T³_B)
   * lambda; 400 naming {@code split}, {@code offset} or {@code limit}.
   */
  @GetMapping("/{experimentId}/samples")
  public ExperimentSamples.Page samples(@PathVariable String experimentId, @RequestParam(required = false) String split,
      @RequestParam(required = false) Integer offset, @RequestParam(required = false) Integer limit) {
    return samples.read(TenantContext.current(), experimentId, split, offset, limit);
  }

  /** Server-sent events: {@code experiment} with the experiment on every change; the stream ends when the experiment does. */
  @GetMapping(path = "/{experimentId}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events(@PathVariable String experimentId) {
    return watcher.sse(experiments.get(TenantContext.current(), experimentId).id());
  }
}
