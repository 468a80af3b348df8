package dev.divergence.training.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @TempDir Path root;

  @Test
  void listsTheKeptCompleteCheckpointsOldestFirstWithTheirSize() throws Exception {
    CheckpointStore store = new CheckpointStore(root.resolve("job"), 2);
    assertThat(store.list()).as("no folder yet").isEmpty();
    for (long step : new long[] {10, 20, 30}) {
      store.save(step, dir -> Files.write(dir.resolve("weights.bin"), new byte[(int) step]));
    }
    // a checkpoint being written (a crash mid-write leaves one) is not a checkpoint
    Files.createDirectories(root.resolve("job/.writing-123"));

    assertThat(store.list()).extracting(CheckpointStore.Listed::step).containsExactly(20L, 30L);
    assertThat(store.list()).extracting(CheckpointStore.Listed::sizeBytes).containsExactly(20L, 30L);
    assertThat(store.list()).allSatisfy(c -> assertThat(c.writtenAt()).isNotNull());
    assertThat(store.latest()).hasValueSatisfying(c -> assertThat(c.step()).isEqualTo(30L));

    store.deleteAll();
    assertThat(store.list()).isEmpty();
  }
}
