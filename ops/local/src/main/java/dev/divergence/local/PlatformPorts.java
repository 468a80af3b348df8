package dev.divergence.local;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Every port the local platform listens on. The defaults are those of ARCHITECTURE.md; an offset
 * shifts all of them at once (two platforms side by side), and tests use random free ports.
 *
 * @param triton the embedded Triton-compatible model server inside the inference service: Triton's
 *               own ports (KServe v2 REST 8000, gRPC 8001, metrics 8002), so Triton clients find it
 *               where they would find Triton
 */
public record PlatformPorts(int kafka, int kafkaController, int postgres,
                            Map<Component, Integer> http, Map<Component, Integer> grpc, TritonPorts triton) {

    /** The embedded model server's ports: KServe v2 REST, gRPC (GRPCInferenceService) and Prometheus metrics. */
    public record TritonPorts(int http, int grpc, int metrics) {

        public static TritonPorts withOffset(int offset) {
            return new TritonPorts(8000 + offset, 8001 + offset, 8002 + offset);
        }
    }

    public PlatformPorts {
        Objects.requireNonNull(triton, "triton");
        http = Map.copyOf(http);
        grpc = Map.copyOf(grpc);
        for (Component c : Component.services()) {
            Objects.requireNonNull(http.get(c), () -> "no HTTP port for " + c.id());
        }
    }

    public static PlatformPorts defaults() {
        return withOffset(0);
    }

    public static PlatformPorts withOffset(int offset) {
        Map<Component, Integer> http = new EnumMap<>(Component.class);
        Map<Component, Integer> grpc = new EnumMap<>(Component.class);
        http.put(Component.GATEWAY, 8080 + offset);
        int i = 1;
        for (Component c : Component.services()) {
            if (c.kind() == Component.Kind.SERVICE) {
                http.put(c, 8080 + i + offset);
                grpc.put(c, 9080 + i + offset);
                i++;
            }
        }
        // the gateway's gRPC entry point, where gRPC clients expect it next to the services' 908x
        grpc.put(Component.GATEWAY, 9090 + offset);
        return new PlatformPorts(19092 + offset, 19093 + offset, 15432 + offset, http, grpc, TritonPorts.withOffset(offset));
    }

    public int http(Component c) {
        return http.get(c);
    }

    /** The gRPC port of a service or of the gateway's entry point; 0 for infrastructure (and a gateway without one). */
    public int grpc(Component c) {
        return grpc.getOrDefault(c, 0);
    }

    /** The main port of a component: the one its readiness is checked on. */
    public int main(Component c) {
        return switch (c) {
            case KAFKA -> kafka;
            case POSTGRES -> postgres;
            default -> http(c);
        };
    }

    /** Every port a component binds, with a label for messages ("training gRPC"). */
    public Map<String, Integer> bindings(Component c) {
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        switch (c) {
            case KAFKA -> {
                out.put("kafka", kafka);
                out.put("kafka controller", kafkaController);
            }
            case POSTGRES -> out.put("postgres", postgres);
            default -> {
                out.put(c.id() + " HTTP", http(c));
                if (grpc(c) > 0) {
                    out.put(c.id() + " gRPC", grpc(c));
                }
                if (c == Component.INFERENCE) {
                    // the embedded model server; labels spell the --port keys (triton-http, ...)
                    out.put("triton http", triton.http());
                    out.put("triton grpc", triton.grpc());
                    out.put("triton metrics", triton.metrics());
                }
            }
        }
        return out;
    }

    public void writeTo(Properties p) {
        p.setProperty("port.kafka", Integer.toString(kafka));
        p.setProperty("port.kafka-controller", Integer.toString(kafkaController));
        p.setProperty("port.postgres", Integer.toString(postgres));
        http.forEach((c, port) -> p.setProperty("port." + c.id(), Integer.toString(port)));
        grpc.forEach((c, port) -> p.setProperty("port." + c.id() + "-grpc", Integer.toString(port)));
        p.setProperty("port.triton-http", Integer.toString(triton.http()));
        p.setProperty("port.triton-grpc", Integer.toString(triton.grpc()));
        p.setProperty("port.triton-metrics", Integer.toString(triton.metrics()));
    }

    public static PlatformPorts readFrom(Properties p) {
        Map<Component, Integer> http = new EnumMap<>(Component.class);
        Map<Component, Integer> grpc = new EnumMap<>(Component.class);
        for (Component c : Component.services()) {
            http.put(c, Integer.parseInt(p.getProperty("port." + c.id())));
            String g = p.getProperty("port." + c.id() + "-grpc");
            if (g != null) {
                grpc.put(c, Integer.parseInt(g));
            }
        }
        TritonPorts defaults = TritonPorts.withOffset(0);
        TritonPorts triton = new TritonPorts(
                Integer.parseInt(p.getProperty("port.triton-http", Integer.toString(defaults.http()))),
                Integer.parseInt(p.getProperty("port.triton-grpc", Integer.toString(defaults.grpc()))),
                Integer.parseInt(p.getProperty("port.triton-metrics", Integer.toString(defaults.metrics()))));
        return new PlatformPorts(Integer.parseInt(p.getProperty("port.kafka")),
                Integer.parseInt(p.getProperty("port.kafka-controller")),
                Integer.parseInt(p.getProperty("port.postgres")), http, grpc, triton);
    }

    /**
     * The same ports with single overrides by key: kafka, kafka-controller, postgres, training, training-grpc, ...,
     * triton-http, triton-grpc, triton-metrics.
     */
    public PlatformPorts with(String key, int port) {
        Properties p = new Properties();
        writeTo(p);
        if (p.getProperty("port." + key) == null) {
            throw new IllegalArgumentException("unknown port '" + key + "'; known: "
                    + p.stringPropertyNames().stream().sorted().map(k -> k.substring(5)).toList());
        }
        p.setProperty("port." + key, Integer.toString(port));
        return readFrom(p);
    }
}
