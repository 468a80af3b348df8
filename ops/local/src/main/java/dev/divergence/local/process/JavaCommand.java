package dev.divergence.local.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Command lines for child JVMs: the launcher's own JDK (already checked to be 21+) plus the lifeline agent. */
public final class JavaCommand {

    private final Path agentJar;

    public JavaCommand(Path agentJar) {
        this.agentJar = agentJar;
    }

    public static Path javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** java [options] -javaagent:... -cp (via CLASSPATH) mainClass args */
    public List<String> mainClass(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = prefix(jvmOptions);
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** java [options] -javaagent:... [arguments], e.g. arguments = -jar app.jar */
    public List<String> withArguments(List<String> jvmOptions, List<String> arguments) {
        List<String> cmd = prefix(jvmOptions);
        cmd.addAll(arguments);
        return cmd;
    }

    private List<String> prefix(List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable().toString());
        cmd.addAll(jvmOptions);
        cmd.add("-javaagent:" + agentJar);
        return cmd;
    }
}
