package dev.divergence.local.kafka;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * server.properties for one node in KRaft combined mode (broker and controller in one JVM), tuned for a
 * single developer machine: replication factors 1, topics created on first use, no rebalance delay.
 */
public final class KafkaServerProperties {

    public static final int NODE_ID = 1;

    private KafkaServerProperties() {
    }

    public static Map<String, String> forSingleNode(int brokerPort, int controllerPort, Path logDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        // A static voter set (not --standalone's dynamic quorum): the voters come from this file on every start,
        // so the same data directory keeps working when the controller port changes between runs.
        p.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "3");
        p.put("auto.create.topics.enable", "true");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.retention.hours", "168");
        p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
        return p;
    }

    public static String render(Map<String, String> properties) {
        StringBuilder sb = new StringBuilder("# written by the Divergence local runtime on every start; edits are overwritten\n");
        properties.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        return sb.toString();
    }
}
