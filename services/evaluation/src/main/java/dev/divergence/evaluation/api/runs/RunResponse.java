package dev.divergence.evaluation.api.runs;

import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.SuiteResult;
import java.time.Instant;
import java.util.List;

/** A run as the REST API shows it. */
public record RunResponse(
    String runId,
    String displayName,
    String state,
    String trigger,
    RunSpec spec,
    Progress progress,
    String reason,
    String message,
    String modelVersion,
    String producingJob,
    List<SuiteResult> results,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt) {

  public record Progress(long done, long total, double percent) {}

  public static RunResponse of(EvaluationRun run) {
    return new RunResponse(run.id().toString(), run.displayName(), run.state().name(), run.trigger().apiName(), run.spec(),
        new Progress(run.progress().done(), run.progress().total(), run.progress().percent()), run.reason(), run.message(),
        run.modelVersion(), run.producingJob(), run.results(), run.createdAt(), run.startedAt(), run.finishedAt());
  }
}
