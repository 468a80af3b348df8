package dev.divergence.evaluation.api.runs;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunService;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.tenancy.TenantContext;
import java.net.URI;
import java.util.Arrays;
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

/** Evaluation runs over REST: create, read, list, cancel, watch (docs/evaluation.md). */
@RestController
@RequestMapping("/api/v1/evaluation/runs")
public class RunController {

  private final RunService runs;
  private final RunWatcher watcher;

  public RunController(RunService runs, RunWatcher watcher) {
    this.runs = runs;
    this.watcher = watcher;
  }

  /** Queues a run (201), or returns the earlier run with the same idempotency key (200); header or body. */
  @PostMapping
  public ResponseEntity<RunResponse> create(@RequestHeader(name = "Idempotency-Key", required = false) String header,
      @RequestBody CreateRunRequest request) {
    if (request == null) {
      throw new InvalidArgumentException("body", "is required");
    }
    String key = request.idempotencyKey() != null ? request.idempotencyKey() : header;
    RunService.Creation creation = runs.create(TenantContext.current(), key, request.displayName(), request.spec());
    RunResponse body = RunResponse.of(creation.run());
    return creation.created() ? ResponseEntity.created(URI.create("/api/v1/evaluation/runs/" + body.runId())).body(body)
        : ResponseEntity.ok(body);
  }

  /** Newest first; filter by state, model, trigger; page with {@code pageToken} (the last run id of the previous page). */
  @GetMapping
  public RunPage list(@RequestParam(required = false) String state, @RequestParam(required = false) String model,
      @RequestParam(required = false) String trigger, @RequestParam(required = false) Integer pageSize,
      @RequestParam(required = false) String pageToken) {
    int size = pageSize == null ? 50 : pageSize;
    List<EvaluationRun> page = runs.list(TenantContext.current(),
        new RunRepository.Filter(parseState(state), blankToNull(model), parseTrigger(trigger), null), pageToken, size);
    String next = page.size() == size ? page.get(page.size() - 1).id().toString() : null;
    return new RunPage(page.stream().map(RunResponse::of).toList(), next);
  }

  @GetMapping("/{runId}")
  public RunResponse get(@PathVariable String runId) {
    return RunResponse.of(runs.get(TenantContext.current(), runId));
  }

  /** 200 with the run (a running run stops at its next model call); 409 when it has already ended. */
  @PostMapping("/{runId}/cancel")
  public RunResponse cancel(@PathVariable String runId) {
    return RunResponse.of(runs.cancel(TenantContext.current(), runId));
  }

  /** Server-sent events: {@code run} with the run on every change; the stream ends when the run does. */
  @GetMapping(path = "/{runId}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events(@PathVariable String runId) {
    return watcher.sse(runs.get(TenantContext.current(), runId).id());
  }

  static RunState parseState(String state) {
    if (state == null || state.isEmpty()) {
      return null;
    }
    try {
      return RunState.valueOf(state.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("state", "must be one of " + Arrays.toString(RunState.values()));
    }
  }

  static String parseTrigger(String trigger) {
    if (trigger == null || trigger.isEmpty()) {
      return null;
    }
    if (!trigger.equals("user") && !trigger.equals("automatic")) {
      throw new InvalidArgumentException("trigger", "must be user or automatic, got '" + trigger + "'");
    }
    return trigger;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  public record RunPage(List<RunResponse> runs, String nextPageToken) {}
}
