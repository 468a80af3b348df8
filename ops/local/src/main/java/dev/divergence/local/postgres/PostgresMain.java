package dev.divergence.local.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/**
 * The PostgreSQL child JVM: unpacks zonky's PostgreSQL binaries, runs the cluster on a persistent data
 * directory and stops it (pg_ctl stop, fast mode) when this JVM exits. Running it in its own JVM, in its
 * own session, keeps the postmaster out of the terminal's Ctrl-C and lets the launcher stop it last.
 *
 * <p>Arguments: port, data directory, directory for the unpacked binaries, database to create if missing.
 */
public final class PostgresMain {

    private PostgresMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dataDir = Path.of(args[1]);
        Path binariesDir = Path.of(args[2]);
        String database = args[3];
        Files.createDirectories(dataDir);
        Files.createDirectories(binariesDir);

        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setOverrideWorkingDirectory(binariesDir.toFile())
                .setPGStartupWait(Duration.ofSeconds(60))
                // zonky turns fsync and synchronous_commit off for throwaway test databases; this cluster keeps the user's data.
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("listen_addresses", "localhost")
                .setServerConfig("max_connections", "200")
                .start(); // registers a shutdown hook that stops the postmaster

        createDatabaseIfMissing(postgres, database);
        // Unpacking the binaries filled the heap; from here on this JVM only waits, so give the memory back.
        System.gc();
        System.out.println("PostgreSQL " + serverVersion(postgres) + " ready on port " + port
                + ", database '" + database + "', data in " + dataDir);
        Thread.currentThread().join(); // until SIGTERM or the launcher-watch agent ends the JVM
    }

    private static void createDatabaseIfMissing(EmbeddedPostgres postgres, String database) throws Exception {
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = c.createStatement()) {
                create.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
            }
            System.out.println("created database '" + database + "'");
        }
    }

    private static String serverVersion(EmbeddedPostgres postgres) throws Exception {
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW server_version")) {
            return rs.next() ? rs.getString(1) : "?";
        }
    }
}
