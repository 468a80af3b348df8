package dev.divergence.training.api;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.training.checkpoint.CheckpointStore;
import dev.divergence.training.checkpoint.JobCheckpoints;
import dev.divergence.training.job.JobService;
import dev.divergence.training.job.JobSpec;
import dev.divergence.training.job.JobState;
import dev.divergence.training.store.JobHistoryRepository;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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

@RestController
@RequestMapping("/api/v1/training/jobs")
public class JobController {

  private final JobService jobs;
  private final JobWatcher watcher;
  private final JobCheckpoints checkpoints;

  public JobController(JobService jobs, JobWatcher watcher, JobCheckpoints checkpoints) {
    this.jobs = jobs;
    this.watcher = watcher;
    this.checkpoints = checkpoints;
  }

  /**
   * Submits a job (201), or returns the earlier job with the same idempotency key (200). The key
   * may come as the {@code Idempotency-Key} header or in the body. With {@code dryRun=true} nothing
   * is stored: the answer is 200 with the spec as it would be stored, or the same 400 problem a
   * submission would get, so a form can validate as the user types.
   */
  @PostMapping
  public ResponseEntity<?> submit(
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyHeader,
      @RequestParam(name = "dryRun", required = false) String dryRun,
      @RequestBody SubmitJobRequest request) {
    String key = request.idempotencyKey() != null ? request.idempotencyKey() : idempotencyHeader;
    if (parseDryRun(dryRun)) {
      JobService.Validated validated = jobs.validate(key, request.displayName(), request.spec());
      return ResponseEntity.ok(new DryRunResponse(true, validated.displayName(), validated.spec()));
    }
    JobService.Submission submission = jobs.submit(key, request.displayName(), request.spec());
    JobResponse body = JobResponse.of(submission.job());
    return submission.created()
        ? ResponseEntity.created(URI.create("/api/v1/training/jobs/" + body.jobId())).body(body)
        : ResponseEntity.ok(body);
  }

  /** Newest first; filter by state, algorithm, model; page with {@code pageToken} from the previous page. */
  @GetMapping
  public JobPage list(
      @RequestParam(required = false) String state,
      @RequestParam(required = false) String algorithm,
      @RequestParam(required = false) String model,
      @RequestParam(required = false) Integer pageSize,
      @RequestParam(required = false) String pageToken) {
    JobService.Page page = jobs.list(parseState(state), algorithm, model, pageSize, pageToken);
    return new JobPage(page.jobs().stream().map(JobResponse::of).toList(), page.nextPageToken());
  }

  @GetMapping("/{jobId}")
  public JobResponse get(@PathVariable String jobId) {
    return JobResponse.of(jobs.get(jobId));
  }

  /** 200 with the job; 409 when it already finished. */
  @PostMapping("/{jobId}/cancel")
  public JobResponse cancel(@PathVariable String jobId) {
    return JobResponse.of(jobs.cancel(jobId));
  }

  /** A FAILED or CANCELLED job runs again as a new attempt, optionally with a new budget. */
  @PostMapping("/{jobId}/retry")
  public JobResponse retry(@PathVariable String jobId, @RequestBody(required = false) RetryJobRequest request) {
    return JobResponse.of(jobs.retry(jobId, request == null ? null : request.budget()));
  }

  /** Server-sent events: {@code job} with the job on every change, then the stream ends when the job does. */
  @GetMapping(path = "/{jobId}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events(@PathVariable String jobId) {
    return watcher.sse(jobs.get(jobId).id());
  }

  @GetMapping("/{jobId}/metrics")
  public MetricHistory metrics(@PathVariable String jobId, @RequestParam(name = "name", required = false) List<String> names) {
    Map<String, JobHistoryRepository.Series> series = jobs.metrics(jobId, names);
    return new MetricHistory(jobId, series);
  }

  /** Every attempt a worker started: state, worker, start and end, and why it ended. */
  @GetMapping("/{jobId}/attempts")
  public Map<String, List<JobHistoryRepository.Attempt>> attempts(@PathVariable String jobId) {
    return Map.of("attempts", jobs.attempts(jobId));
  }

  /**
   * The checkpoints the job keeps on the data volume (the newest two while it runs; none once its
   * model is registered), oldest first; a resumed attempt starts from the last one.
   */
  @GetMapping("/{jobId}/checkpoints")
  public Map<String, List<CheckpointStore.Listed>> checkpoints(@PathVariable String jobId) {
    return Map.of("checkpoints", checkpoints.of(jobs.get(jobId).id()));
  }

  @GetMapping("/{jobId}/logs")
  public List<JobHistoryRepository.LogLine> logs(@PathVariable String jobId, @RequestParam(required = false) Integer limit) {
    return jobs.logs(jobId, limit);
  }

  static JobState parseState(String state) {
    if (state == null || state.isEmpty()) {
      return null;
    }
    try {
      return JobState.valueOf(state.toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("state", "must be one of " + Arrays.toString(JobState.values()));
    }
  }

  /** The answer to a dry run: always valid, since an invalid submission is a 400 problem. */
  public record DryRunResponse(boolean valid, String displayName, JobSpec spec) {}

  private static boolean parseDryRun(String dryRun) {
    if (dryRun == null || dryRun.equalsIgnoreCase("false")) {
      return false;
    }
    if (dryRun.equalsIgnoreCase("true")) {
      return true;
    }
    throw new InvalidArgumentException("dryRun", "must be true or false");
  }

  public record JobPage(List<JobResponse> jobs, String nextPageToken) {}

  public record MetricHistory(String jobId, Map<String, JobHistoryRepository.Series> series) {}
}
