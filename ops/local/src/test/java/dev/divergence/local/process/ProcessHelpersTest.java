package dev.divergence.local.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessHelpersTest {

    @TempDir
    Path dir;

    @Test
    void theAgentJarHoldsTheAgentAndNamesItAsPremainClass() throws Exception {
        Path jar = ParentWatchAgentJar.writeInto(dir);
        try (JarFile f = new JarFile(jar.toFile())) {
            assertThat(f.getManifest().getMainAttributes().getValue("Premain-Class")).isEqualTo(ParentWatchAgent.class.getName());
            assertThat(f.getEntry("dev/divergence/local/process/ParentWatchAgent.class")).isNotNull();
        }
    }

    @Test
    void theClasspathFollowsManifestClassPathEntries() throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path dependency = Files.createFile(lib.resolve("dep.jar"));
        Path thin = dir.resolve("thin.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/dep.jar lib/absent.jar");
        try (OutputStream out = Files.newOutputStream(thin); JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.flush();
        }
        String saved = System.getProperty("java.class.path");
        try {
            System.setProperty("java.class.path", thin.toString());
            assertThat(LauncherClasspath.current().split(File.pathSeparator))
                    .containsExactly(thin.toString(), dependency.toString());
        } finally {
            System.setProperty("java.class.path", saved);
        }
    }

    @Test
    void aChildRunsInItsOwnSessionLogsToItsFileAndStopsOnSigterm() throws Exception {
        Path log = dir.resolve("logs/sleeper.log");
        ChildProcess child = ChildProcess.start("sleeper", List.of("bash", "-c", "echo hello from $$; exec sleep 60"),
                Map.of(), dir, log);
        // the pid is the program itself (setsid did not fork), in a session of its own: Ctrl-C does not reach it
        long deadline = System.currentTimeMillis() + 5000;
        while (child.logTail(5).stream().noneMatch(l -> l.startsWith("hello")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(child.logTail(5)).contains("hello from " + child.pid());
        String stat = Files.readString(Path.of("/proc/" + child.pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertThat(Long.parseLong(fields[3])).as("session id").isEqualTo(child.pid());

        assertThat(child.stop(Duration.ofSeconds(5))).isTrue();
        assertThat(child.isAlive()).isFalse();
        assertThat(Files.readString(log)).startsWith("==== ").contains("launcher starts sleeper");
    }

    @Test
    void aChildThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        ChildProcess child = ChildProcess.start("stubborn", List.of("bash", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"),
                Map.of(), dir, dir.resolve("stubborn.log"));
        long deadline = System.currentTimeMillis() + 5000;
        while (!child.logTail(5).contains("ready") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(child.stop(Duration.ofMillis(500))).isFalse();
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void theLogTailShowsOnlyThisRunsLastLines() throws Exception {
        Path log = dir.resolve("x.log");
        Files.writeString(log, "old run\n".repeat(50));
        ChildProcess child = ChildProcess.start("x", List.of("bash", "-c", "for i in $(seq 1 30); do echo line $i; done"),
                Map.of(), dir, log);
        child.onExit().get();
        List<String> tail = child.logTail(3);
        assertThat(tail).containsExactly("line 28", "line 29", "line 30");
        assertThat(child.logTail(100)).noneMatch(l -> l.equals("old run"));
    }
}
