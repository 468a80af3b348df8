package dev.divergence.merging.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.merging.config.MergingProperties;
import dev.divergence.merging.experiment.ExperimentCancelledException;
import dev.divergence.model.assets.TinyAssets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refusal side of background preparation, with no preparation running: requests for a built-in
 * still PREPARING fail at once (they never make the model themselves), a bounded wait gives up naming
 * the model, and a waiter's checkpoint can stop the wait.
 */
class BuiltInClassifiersTest {

  @TempDir Path dataDir;

  private BuiltInClassifiers preparingAtStart() {
    return new BuiltInClassifiers(new MergingProperties(dataDir, 1, 16, true, null, null));
  }

  @Test
  void everyBuiltInIsPreparingFromTheStartAndRequestsAreRefusedAtOnce() {
    BuiltInClassifiers models = preparingAtStart();
    assertThat(models.statuses()).extracting(BuiltInClassifiers.Status::state).containsOnly(BuiltInState.PREPARING);
    long started = System.nanoTime();
    assertThatThrownBy(() -> models.get("generalist", TinyAssets.DIGITS_GENERALIST))
        .isInstanceOfSatisfying(BuiltInModelNotReadyException.class, e -> {
          assertThat(e.model()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
          assertThat(e.getMessage()).contains(TinyAssets.DIGITS_GENERALIST, "PREPARING", "retry");
        });
    // nothing was trained or written: the refusal did not make the model
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(dataDir.resolve("models")).doesNotExist();
  }

  @Test
  void aBoundedWaitGivesUpNamingTheModel() {
    BuiltInClassifiers models = preparingAtStart();
    long started = System.nanoTime();
    assertThatThrownBy(() -> models.await("expert", TinyAssets.DIGITS_EXPERT, Duration.ofMillis(300), () -> {}))
        .isInstanceOfSatisfying(BuiltInModelNotReadyException.class, e -> assertThat(e.model()).isEqualTo(TinyAssets.DIGITS_EXPERT));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  void aWaitersCheckpointStopsTheWait() {
    BuiltInClassifiers models = preparingAtStart();
    int[] checks = {0};
    assertThatThrownBy(() -> models.await("expert", TinyAssets.DIGITS_EXPERT, Duration.ofMinutes(5), () -> {
      if (++checks[0] == 2) {
        throw new ExperimentCancelledException();
      }
    })).isInstanceOf(ExperimentCancelledException.class);
    assertThat(checks[0]).isEqualTo(2);
  }

  @Test
  void lazyModeHasNothingPreparing() {
    BuiltInClassifiers models = new BuiltInClassifiers(new MergingProperties(dataDir, 1, 16, false, null, null));
    assertThat(models.statuses()).extracting(BuiltInClassifiers.Status::state).containsOnly(BuiltInState.NOT_LOADED);
    assertThat(models.isPreparing(TinyAssets.DIGITS_GENERALIST)).isFalse();
  }
}
