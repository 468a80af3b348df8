package dev.divergence.training.checkpoint;

import dev.divergence.training.config.TrainingProperties;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Component;

/** The checkpoints a job has on the data volume, as its page and API list them. */
@Component
public class JobCheckpoints {

  private final TrainingProperties properties;

  public JobCheckpoints(TrainingProperties properties) {
    this.properties = properties;
  }

  /**
   * Oldest first; empty before the first checkpoint and after the job's model was registered. The
   * folder is the one the job's execution writes ({@code <data>/checkpoints/<job>}).
   */
  public List<CheckpointStore.Listed> of(UUID jobId) {
    return new CheckpointStore(properties.checkpointsDir().resolve(jobId.toString()), Integer.MAX_VALUE).list();
  }
}
