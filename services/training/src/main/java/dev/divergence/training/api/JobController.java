package dev.divergence.training.api;

import dev.divergence.training.job.JobService;
import dev.divergence.training.job.JobSpec;
import jakarta.validation.Valid;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/training/jobs")
public class JobController {

  private final JobService jobs;

  public JobController(JobService jobs) {
    this.jobs = jobs;
  }

  /**
   * Submits a job (201), or returns the earlier job with the same idempotency key (200). The key
   * may come as the {@code Idempotency-Key} header or in the body.
   */
  @PostMapping
  public ResponseEntity<JobResponse> submit(
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyHeader,
      @Valid @RequestBody SubmitJobRequest request) {
    var spec = request.spec();
    String key = request.idempotencyKey() != null ? request.idempotencyKey() : idempotencyHeader;
    JobService.Submission submission = jobs.submit(key, request.displayName(), new JobSpec(
        spec.algorithm(), spec.divergence(), spec.baseModel(), spec.teacherModel(), spec.dataset(),
        spec.maxSteps(), spec.parameters()));
    JobResponse body = JobResponse.of(submission.job());
    return submission.created()
        ? ResponseEntity.created(URI.create("/api/v1/training/jobs/" + body.jobId())).body(body)
        : ResponseEntity.ok(body);
  }

  @GetMapping("/{jobId}")
  public JobResponse get(@PathVariable String jobId) {
    return JobResponse.of(jobs.get(jobId));
  }
}
