package dev.divergence.local.state;

import dev.divergence.local.Component;
import dev.divergence.local.PlatformPorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StateFileTest {

    @TempDir
    Path runDir;

    @Test
    void roundTripsTheLauncherItsChildrenAndPorts() {
        StateFile file = new StateFile(runDir);
        PlatformState.RecordedProcess child = new PlatformState.RecordedProcess(4242, Instant.ofEpochMilli(1_700_000_000_000L));
        PlatformState written = PlatformState.ofCurrentLauncher(PlatformPorts.withOffset(3),
                EnumSet.of(Component.KAFKA, Component.TRAINING), Map.of(Component.KAFKA, child));
        file.write(written);

        PlatformState read = file.read().orElseThrow();
        assertThat(read.launcher().pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(read.ports()).isEqualTo(PlatformPorts.withOffset(3));
        assertThat(read.components()).containsExactlyInAnyOrder(Component.KAFKA, Component.TRAINING);
        assertThat(read.children()).containsEntry(Component.KAFKA, child);
    }

    @Test
    void noFileOrAnUnreadableFileMeansNothingRuns() throws Exception {
        StateFile file = new StateFile(runDir);
        assertThat(file.read()).isEmpty();
        Files.writeString(file.path(), "launcher.pid=not-a-number\n");
        assertThat(file.read()).isEmpty();
        file.delete();
        assertThat(file.path()).doesNotExist();
    }

    @Test
    void aRecordedProcessIsLiveOnlyWhilePidAndStartTimeMatch() {
        PlatformState.RecordedProcess self = PlatformState.RecordedProcess.of(ProcessHandle.current());
        assertThat(self.live()).isPresent();
        // the same pid with another start time is a reused pid: never ours to stop
        assertThat(new PlatformState.RecordedProcess(self.pid(), self.startedAt().minusSeconds(3600)).live()).isEmpty();
        assertThat(new PlatformState.RecordedProcess(Integer.MAX_VALUE - 1, Instant.now()).live()).isEmpty();
    }

    @Test
    void leftoversOfADeadLauncherAreStoppedAndNamed() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        PlatformState state = new PlatformState(new PlatformState.RecordedProcess(Integer.MAX_VALUE - 1, Instant.now()),
                PlatformPorts.defaults(), EnumSet.of(Component.TRAINING),
                Map.of(Component.TRAINING, PlatformState.RecordedProcess.of(sleeper.toHandle())));
        assertThat(LeftoverProcesses.anyAlive(state.children())).isTrue();

        assertThat(LeftoverProcesses.stop(state, java.time.Duration.ofSeconds(5)))
                .containsExactly("training (pid " + sleeper.pid() + ")");
        assertThat(sleeper.isAlive()).isFalse();
    }
}
