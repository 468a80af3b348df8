package dev.divergence.evaluation.api;

import dev.divergence.evaluation.api.runs.RunResponse;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.evaluation.store.TrackedTrainingJobRepository;
import dev.divergence.evaluation.tracking.TrackedTrainingJob;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.tenancy.TenantContext;
import java.util.List;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Training jobs evaluation has heard of, i.e. the models it will evaluate. */
@RestController
@RequestMapping("/api/v1/evaluation/training-jobs")
public class TrackedTrainingJobController {

  private final TrackedTrainingJobRepository jobs;
  private final RunRepository runs;

  public TrackedTrainingJobController(TrackedTrainingJobRepository jobs, RunRepository runs) {
    this.jobs = jobs;
    this.runs = runs;
  }

  @GetMapping
  public List<TrackedTrainingJob> recent(@RequestParam(defaultValue = "50") int limit) {
    if (limit < 1 || limit > 500) {
      throw new InvalidArgumentException("limit", "must be between 1 and 500");
    }
    return jobs.recent(TenantContext.current(), limit);
  }

  @GetMapping("/{jobId}")
  public TrackedTrainingJob get(@PathVariable String jobId) {
    return jobs.find(TenantContext.current(), parse(jobId)).orElseThrow(() -> new NotFoundException("tracked training job", jobId));
  }

  /**
   * The evaluation runs of the model a job produced (its automatic evaluation first among them), newest
   * first; 404 for a job this tenant has neither tracked nor evaluated (another tenant's job included).
   */
  @GetMapping("/{jobId}/evaluations")
  public List<RunResponse> evaluations(@PathVariable String jobId) {
    String tenant = TenantContext.current();
    UUID id = parse(jobId);
    List<RunResponse> found = runs.ofProducingJob(tenant, id.toString()).stream().map(RunResponse::of).toList();
    if (found.isEmpty() && jobs.find(tenant, id).isEmpty()) {
      throw new NotFoundException("tracked training job", jobId);
    }
    return found;
  }

  private static UUID parse(String jobId) {
    try {
      return UUID.fromString(jobId);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("jobId", "must be a UUID");
    }
  }
}
