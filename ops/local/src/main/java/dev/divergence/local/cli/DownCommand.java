package dev.divergence.local.cli;

import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.postgres.PostgresServer;
import dev.divergence.local.process.ProcessStopper;
import dev.divergence.local.state.LeftoverProcesses;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** ./platform down: asks the running launcher (found through the state file) to stop, and waits for it. */
final class DownCommand {

    /** Longer than the launcher's own worst case: services 20 s, Kafka 30 s, PostgreSQL 20 s, plus kills. */
    private static final Duration LAUNCHER_GRACE = Duration.ofSeconds(100);

    private final LocalPlatformConfig config;
    private final PrintStream out;
    private final PrintStream err;

    DownCommand(LocalPlatformConfig config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    int run() {
        StateFile stateFile = new StateFile(config.runDir());
        Optional<PlatformState> state = stateFile.read();
        if (state.isEmpty()) {
            long postmaster = PostgresServer.stopLeftoverPostmaster(config);
            out.println("The platform is not running (no " + stateFile.path() + ")."
                    + (postmaster > 0 ? " Stopped a PostgreSQL server left running on its data (pid " + postmaster + ")." : ""));
            return PlatformCli.OK;
        }
        Optional<ProcessHandle> launcher = state.get().launcher().live();
        long begin = System.nanoTime();
        if (launcher.isPresent()) {
            out.println("Stopping the platform (launcher pid " + launcher.get().pid() + "): services, then Kafka, then PostgreSQL ...");
            launcher.get().destroy(); // SIGTERM: the launcher's shutdown hook stops its children in order
            if (!ProcessStopper.awaitExit(launcher.get(), LAUNCHER_GRACE)) {
                err.println("platform: the launcher did not stop within " + LAUNCHER_GRACE.toSeconds() + " s; killing it and its children");
                launcher.get().destroyForcibly();
                ProcessStopper.awaitExit(launcher.get(), Duration.ofSeconds(5));
            }
        }
        List<String> leftovers = new java.util.ArrayList<>(LeftoverProcesses.stop(state.get(), Duration.ofSeconds(10)));
        long postmaster = PostgresServer.stopLeftoverPostmaster(config);
        if (postmaster > 0) {
            leftovers.add("postmaster (pid " + postmaster + ")");
        }
        if (!leftovers.isEmpty()) {
            out.println("  stopped processes left behind: " + String.join(", ", leftovers));
        }
        stateFile.delete();
        out.println("Stopped in " + ConsoleReporter.seconds(Duration.ofNanos(System.nanoTime() - begin)) + ".");
        return PlatformCli.OK;
    }
}
