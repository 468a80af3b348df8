package dev.divergence.local.postgres;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.process.ChildComponent;
import dev.divergence.local.process.ChildLogging;
import dev.divergence.local.process.JavaCommand;
import dev.divergence.local.process.LauncherClasspath;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** A real PostgreSQL (zonky's binaries) run by {@link PostgresMain} in a child JVM; cluster under dataDir/postgres. */
public final class PostgresServer extends ChildComponent {

    public PostgresServer(LocalPlatformConfig config, JavaCommand java) {
        super(Component.POSTGRES, config, java);
    }

    public Path clusterDir() {
        return config.dataDir().resolve("postgres");
    }

    /** zonky unpacks the binaries once into a directory of its own; in the cache folder, shared by every data folder. */
    private Path binariesDir() {
        return config.cacheDir().resolve("postgres-binaries");
    }

    @Override
    public String address() {
        return config.jdbcUrl();
    }

    @Override
    protected void prepare() {
        stopLeftoverPostmaster(config);
    }

    /**
     * A postmaster left behind (its launcher and JVM were both killed) holds the data directory and the port:
     * stops it. Returns its pid, or -1 if there was none.
     */
    public static long stopLeftoverPostmaster(LocalPlatformConfig config) {
        Path clusterDir = config.dataDir().resolve("postgres");
        long pid = Postmaster.running(clusterDir).map(ProcessHandle::pid).orElse(-1L);
        Postmaster.stopLeftover(clusterDir, Duration.ofSeconds(20));
        return pid;
    }

    @Override
    protected List<String> command() {
        return java.mainClass(List.of(
                        // unpacking the xz-compressed binaries (first start) needs ~100 MB of heap; the free-ratio
                        // options let SerialGC hand it back afterwards, as the JVM then only waits
                        "-Xmx160m", "-XX:+UseSerialGC", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20",
                        "-XX:TieredStopAtLevel=1", // C1 only: less memory and CPU for a JVM that mostly waits
                        ChildLogging.jvmOption(config.runDir()),
                        "-Djava.io.tmpdir=" + config.dataDir().resolve("tmp")),
                PostgresMain.class.getName(),
                List.of(Integer.toString(config.ports().postgres()), clusterDir().toString(), binariesDir().toString(),
                        LocalPlatformConfig.POSTGRES_DATABASE));
    }

    @Override
    protected Map<String, String> environment() {
        return Map.of("CLASSPATH", LauncherClasspath.current());
    }

    /** pg_ctl daemonises the postmaster: it is no descendant of our JVM, so it is tracked through postmaster.pid. */
    @Override
    protected List<ProcessHandle> detachedProcesses() {
        return Postmaster.running(clusterDir()).stream().toList();
    }

    @Override
    protected void stopDetached(ProcessHandle postmaster) {
        Postmaster.fastShutdown(postmaster, Duration.ofSeconds(20));
    }

    @Override
    public boolean isHealthy() {
        return isReachable(config.jdbcUrl(), config.databaseUser(), config.databasePassword());
    }

    /** True when the database accepts a connection and answers SELECT 1. */
    public static boolean isReachable(String jdbcUrl, String user, String password) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "3");
        try (Connection c = DriverManager.getConnection(jdbcUrl, props);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (Exception e) {
            return false;
        }
    }
}
