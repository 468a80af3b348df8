package dev.divergence.merging.api;

import dev.divergence.merging.experiment.ExperimentResults;
import dev.divergence.merging.experiment.ExperimentSpec;
import dev.divergence.merging.experiment.MergeExperiment;
import java.time.Instant;
import java.util.List;

/** REST bodies of /api/v1/merging/experiments. */
public final class ExperimentApiModels {

  private ExperimentApiModels() {
  }

  /** Body of {@code POST /api/v1/merging/experiments}; the idempotency key may also come as the Idempotency-Key header. */
  public record CreateExperimentRequest(String idempotencyKey, String displayName, ExperimentSpec spec) {}

  public record Progress(long done, long total, double percent) {}

  /** An experiment as the REST API shows it; {@code results} once SUCCEEDED. */
  public record ExperimentResponse(String experimentId, String displayName, String state, ExperimentSpec spec, Progress progress,
      String reason, String message, ExperimentResults results, Instant createdAt, Instant startedAt, Instant finishedAt) {

    public static ExperimentResponse of(MergeExperiment e) {
      return new ExperimentResponse(e.id().toString(), e.displayName(), e.state().name(), e.spec(),
          new Progress(e.progress().done(), e.progress().total(), e.progress().percent()), e.reason(), e.message(), e.results(),
          e.createdAt(), e.startedAt(), e.finishedAt());
    }
  }

  public record ExperimentPage(List<ExperimentResponse> experiments, String nextPageToken) {}
}
