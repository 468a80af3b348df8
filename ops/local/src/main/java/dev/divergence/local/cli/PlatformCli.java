package dev.divergence.local.cli;

import java.io.PrintStream;

/** Entry point of local-runtime.jar, run by ./platform: {@code up | down | status} plus options (see {@link CliOptions}). */
public final class PlatformCli {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private PlatformCli() {
    }

    public static void main(String[] args) {
        // `up` returns only once the platform has stopped; exiting explicitly ends any stray non-daemon thread
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        CliOptions options;
        try {
            options = CliOptions.parse(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("platform: " + e.getMessage());
            err.println("usage: ./platform up|down|status [--data-dir DIR] [--port-offset N] [--port NAME=PORT] [--only kafka,postgres,...] [--timeout S]");
            return USAGE;
        }
        return switch (options.command()) {
            case "up" -> new UpCommand(options, out, err).run();
            case "down" -> new DownCommand(options.config(), out, err).run();
            case "status" -> new StatusCommand(options.config(), out).run();
            case "demo" -> new DemoCommand(options.config(), out, err).run();
            default -> {
                err.println("platform: unknown command '" + options.command() + "' (up, down, status, logs, demo)");
                yield USAGE;
            }
        };
    }
}
