package dev.divergence.local;

import java.util.List;

/** The platform cannot start; the message is one line that says why and what to do. */
public class PlatformStartException extends RuntimeException {

    private final List<String> details;

    public PlatformStartException(String oneLine) {
        this(oneLine, List.of());
    }

    public PlatformStartException(String oneLine, List<String> details) {
        super(oneLine);
        this.details = List.copyOf(details);
    }

    /** Supporting lines, e.g. the last lines of a failed component's log. */
    public List<String> details() {
        return details;
    }
}
