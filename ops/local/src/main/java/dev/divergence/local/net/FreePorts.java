package dev.divergence.local.net;

import dev.divergence.local.Component;
import dev.divergence.local.PlatformPorts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Random ports that are free right now, for tests that must not collide with a running platform. */
public final class FreePorts {

    private FreePorts() {
    }

    public static PlatformPorts allocate() {
        // Hold every socket open until all are chosen, so the kernel never hands out the same port twice.
        List<ServerSocket> held = new ArrayList<>();
        try {
            int kafka = take(held);
            int controller = take(held);
            int postgres = take(held);
            Map<Component, Integer> http = new EnumMap<>(Component.class);
            Map<Component, Integer> grpc = new EnumMap<>(Component.class);
            for (Component c : Component.services()) {
                http.put(c, take(held));
                if (c.kind() == Component.Kind.SERVICE || c.kind() == Component.Kind.GATEWAY) {
                    grpc.put(c, take(held));
                }
            }
            PlatformPorts.TritonPorts triton = new PlatformPorts.TritonPorts(take(held), take(held), take(held));
            return new PlatformPorts(kafka, controller, postgres, http, grpc, triton);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a probe socket cannot lose anything
                }
            }
        }
    }

    private static int take(List<ServerSocket> held) {
        try {
            ServerSocket s = new ServerSocket(0);
            held.add(s);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
