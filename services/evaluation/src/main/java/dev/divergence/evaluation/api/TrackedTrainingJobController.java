package dev.divergence.evaluation.api;

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

  public TrackedTrainingJobController(TrackedTrainingJobRepository jobs) {
    this.jobs = jobs;
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
    UUID id;
    try {
      id = UUID.fromString(jobId);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("jobId", "must be a UUID");
    }
    return jobs.find(TenantContext.current(), id).orElseThrow(() -> new NotFoundException("tracked training job", jobId));
  }
}
