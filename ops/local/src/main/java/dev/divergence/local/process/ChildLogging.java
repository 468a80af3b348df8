package dev.divergence.local.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The Log4j 2 configuration of the Kafka and PostgreSQL child JVMs (stdout, INFO), written to the run directory. */
public final class ChildLogging {

    private ChildLogging() {
    }

    /** Writes the configuration into runDir and returns the JVM option that selects it. */
    public static String jvmOption(Path runDir) {
        Path target = runDir.resolve("child-log4j2.xml");
        try (InputStream in = ChildLogging.class.getResourceAsStream("/child-log4j2.xml")) {
            if (in == null) {
                throw new IllegalStateException("child-log4j2.xml is missing from the launcher's classpath");
            }
            Files.createDirectories(runDir);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "-Dlog4j2.configurationFile=" + target;
    }
}
