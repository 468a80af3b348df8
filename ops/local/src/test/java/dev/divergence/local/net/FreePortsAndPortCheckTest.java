package dev.divergence.local.net;

import dev.divergence.local.Component;
import dev.divergence.local.PlatformPorts;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class FreePortsAndPortCheckTest {

    @Test
    void allocatesDistinctFreePortsForEverything() {
        PlatformPorts p = FreePorts.allocate();
        Set<Integer> all = new HashSet<>(List.of(p.kafka(), p.kafkaController(), p.postgres()));
        for (Component c : Component.services()) {
            all.add(p.http(c));
            if (p.grpc(c) > 0) {
                all.add(p.grpc(c));
            }
        }
        all.addAll(List.of(p.triton().http(), p.triton().grpc(), p.triton().metrics()));
        // kafka, controller, postgres; HTTP of 4 services and the gateway; gRPC of the same; Triton's 3
        assertThat(all).hasSize(3 + 5 + 5 + 3);
        assertThat(all).allMatch(PortCheck::isFree);
    }

    @Test
    void aListenerOnLoopbackMakesThePortBusy() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("localhost", 0));
            assertThat(PortCheck.isFree(s.getLocalPort())).isFalse();
            assertThat(PortCheck.isListening(s.getLocalPort())).isTrue();
        }
    }

    @Test
    void aListenerOnAllInterfacesMakesThePortBusy() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            assertThat(PortCheck.isFree(s.getLocalPort())).isFalse();
        }
    }

    @Test
    void theConflictMessageIsOneLineThatSaysWhatToDo() {
        String message = PortCheck.inUseMessage("training gRPC", 9081);
        assertThat(message).doesNotContain("\n").contains("9081").contains("training gRPC")
                .contains("--port-offset").contains("--port training-grpc=PORT");
    }
}
