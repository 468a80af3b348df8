package dev.divergence.local.process;

import dev.divergence.local.Component;

import java.util.List;

/** A component did not come up; the message is one line a user can act on, the log tail shows why. */
public final class ComponentStartException extends RuntimeException {

    private final transient Component component;
    private final List<String> logTail;

    public ComponentStartException(Component component, String oneLine, List<String> logTail) {
        super(oneLine);
        this.component = component;
        this.logTail = List.copyOf(logTail);
    }

    public Component component() {
        return component;
    }

    public List<String> logTail() {
        return logTail;
    }
}
