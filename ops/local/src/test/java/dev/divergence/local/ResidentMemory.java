package dev.divergence.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** Resident memory (RSS) of a process tree, for the numbers the platform tests print. Linux only. */
final class ResidentMemory {

    private ResidentMemory() {
    }

    /**
     * Bytes resident in the process, its descendants and any postmaster whose parent died (pg_ctl
     * daemonises it, so it is no descendant of ours): those are found through the postgres data directories.
     */
    static long ofTree(ProcessHandle root) {
        return pidsOf(root).stream().mapToLong(ResidentMemory::rssBytes).sum();
    }

    /** Proportional set size: shared pages (PostgreSQL's shared buffers, JDK libraries) counted once overall. */
    static long proportionalOfTree(ProcessHandle root) {
        return pidsOf(root).stream().mapToLong(ResidentMemory::pssBytes).sum();
    }

    private static Set<Long> pidsOf(ProcessHandle root) {
        Set<Long> pids = new HashSet<>();
        pids.add(root.pid());
        root.descendants().forEach(h -> pids.add(h.pid()));
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().map(c -> c.endsWith("/bin/postgres")).orElse(false))
                .forEach(postmaster -> {
                    if (pids.stream().noneMatch(p -> p == postmaster.pid()) && belongsTo(postmaster, root)) {
                        pids.add(postmaster.pid());
                        postmaster.descendants().forEach(h -> pids.add(h.pid()));
                    }
                });
        return pids;
    }

    private static boolean belongsTo(ProcessHandle postmaster, ProcessHandle root) {
        // our postmasters run with "-D <dataDir>/postgres"; the launcher's command line names the same data dir
        String args = String.join(" ", postmaster.info().arguments().orElse(new String[0]));
        String launcher = String.join(" ", root.info().arguments().orElse(new String[0]));
        int at = args.indexOf("-D ");
        if (at < 0) {
            return false;
        }
        String dataDir = Path.of(args.substring(at + 3).split(" ")[0]).getParent().toString();
        return launcher.contains(dataDir);
    }

    static long rssBytes(long pid) {
        return kilobytesField(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
    }

    static long pssBytes(long pid) {
        return kilobytesField(Path.of("/proc", Long.toString(pid), "smaps_rollup"), "Pss:");
    }

    private static long kilobytesField(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended meanwhile
        }
        return 0;
    }
}
