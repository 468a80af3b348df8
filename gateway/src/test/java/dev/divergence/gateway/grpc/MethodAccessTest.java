package dev.divergence.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.tenancy.Roles;
import java.util.List;
import org.junit.jupiter.api.Test;

class MethodAccessTest {

  private final MethodAccess access = new MethodAccess(List.of("dev.divergence.evaluation.v1.AnalysisService/CompareRuns"));

  @Test
  void methodsNamedAsReadsNeedViewer() {
    for (String read : List.of("dev.divergence.training.v1.TrainingService/GetJob",
        "dev.divergence.training.v1.TrainingService/ListJobs", "dev.divergence.training.v1.TrainingService/WatchJob",
        "dev.divergence.training.v1.DatasetService/ReadDatasetRecords", "a.v1.S/StreamThings", "a.v1.S/SearchThings",
        "dev.divergence.evaluation.v1.AnalysisService/CompareRuns")) {
      assertThat(access.requiredRole(read)).as(read).isEqualTo(Roles.VIEWER);
    }
  }

  @Test
  void everythingElseNeedsSubmitter() {
    for (String change : List.of("dev.divergence.training.v1.TrainingService/SubmitJob",
        "dev.divergence.training.v1.TrainingService/CancelJob", "dev.divergence.inference.v1.GenerationService/GenerateStream",
        "dev.divergence.inference.v1.ModelService/LoadModel", "a.v1.S/Getaway", "a.v1.S/Listen", "a.v1.S/Readjust",
        "dev.divergence.evaluation.v1.AnalysisService/CompareRunsLater")) {
      assertThat(access.requiredRole(change)).as(change).isEqualTo(Roles.SUBMITTER);
    }
  }
}
