package dev.divergence.local;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Everything ./platform runs, in start order: infrastructure first, then the services, the gateway last. */
public enum Component {
    KAFKA(Kind.INFRASTRUCTURE, null),
    POSTGRES(Kind.INFRASTRUCTURE, null),
    TRAINING(Kind.SERVICE, "services/training/target/training.jar"),
    INFERENCE(Kind.SERVICE, "services/inference/target/inference.jar"),
    EVALUATION(Kind.SERVICE, "services/evaluation/target/evaluation.jar"),
    MERGING(Kind.SERVICE, "services/merging/target/merging.jar"),
    GATEWAY(Kind.GATEWAY, "gateway/target/gateway.jar");

    public enum Kind { INFRASTRUCTURE, SERVICE, GATEWAY }

    private final Kind kind;
    private final String jarPath;

    Component(Kind kind, String jarPath) {
        this.kind = kind;
        this.jarPath = jarPath;
    }

    /** The lower-case name used on the command line, in log file names and in the state file. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Kind kind() {
        return kind;
    }

    public boolean isInfrastructure() {
        return kind == Kind.INFRASTRUCTURE;
    }

    /** The executable Spring Boot jar relative to the repository root; null for Kafka and PostgreSQL. */
    public String jarPath() {
        return jarPath;
    }

    public static Component byId(String id) {
        for (Component c : values()) {
            if (c.id().equals(id.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown component '" + id + "'; known: " + ids());
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Component::id).toList();
    }

    public static List<Component> services() {
        return Arrays.stream(values()).filter(c -> !c.isInfrastructure()).toList();
    }
}
