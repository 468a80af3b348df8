package dev.divergence.evaluation.analysis;

import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Which runs a frontier "by algorithm" plots: read-only over the runs and the tracked training jobs. */
@Repository
public class FrontierRunSelection {

  private final JdbcTemplate jdbc;

  public FrontierRunSelection(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  /** The tenant's SUCCEEDED runs of models whose producing training job used {@code algorithm}, newest first. */
  public List<UUID> succeededRunsOfAlgorithm(String tenant, String algorithm, int limit) {
    return jdbc.query("SELECT r.id FROM evaluation_run r JOIN tracked_training_job j"
            + " ON j.job_id::text = r.producing_job AND j.tenant = r.tenant"
            + " WHERE r.tenant = ? AND r.state = 'SUCCEEDED' AND j.algorithm = ?"
            + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
        (rs, i) -> rs.getObject(1, UUID.class), tenant, algorithm, limit);
  }
}
