package dev.divergence.local;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlatformPortsTest {

    @Test
    void defaultsAreThoseOfTheArchitecture() {
        PlatformPorts p = PlatformPorts.defaults();
        assertThat(p.kafka()).isEqualTo(19092);
        assertThat(p.kafkaController()).isEqualTo(19093);
        assertThat(p.postgres()).isEqualTo(15432);
        assertThat(p.http(Component.GATEWAY)).isEqualTo(8080);
        assertThat(p.http(Component.TRAINING)).isEqualTo(8081);
        assertThat(p.grpc(Component.TRAINING)).isEqualTo(9081);
        assertThat(p.http(Component.INFERENCE)).isEqualTo(8082);
        assertThat(p.grpc(Component.INFERENCE)).isEqualTo(9082);
        assertThat(p.http(Component.EVALUATION)).isEqualTo(8083);
        assertThat(p.grpc(Component.EVALUATION)).isEqualTo(9083);
        assertThat(p.http(Component.MERGING)).isEqualTo(8084);
        assertThat(p.grpc(Component.MERGING)).isEqualTo(9084);
        assertThat(p.grpc(Component.GATEWAY)).isZero();
    }

    @Test
    void anOffsetShiftsEveryPort() {
        PlatformPorts p = PlatformPorts.withOffset(1000);
        assertThat(p.kafka()).isEqualTo(20092);
        assertThat(p.postgres()).isEqualTo(16432);
        assertThat(p.http(Component.GATEWAY)).isEqualTo(9080);
        assertThat(p.grpc(Component.MERGING)).isEqualTo(10084);
    }

    @Test
    void singlePortsCanBeOverriddenByName() {
        PlatformPorts p = PlatformPorts.defaults().with("training-grpc", 7001).with("postgres", 5433);
        assertThat(p.grpc(Component.TRAINING)).isEqualTo(7001);
        assertThat(p.postgres()).isEqualTo(5433);
        assertThat(p.http(Component.TRAINING)).isEqualTo(8081);
        assertThatThrownBy(() -> p.with("trainin", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown port 'trainin'").hasMessageContaining("training-grpc");
    }

    @Test
    void survivesTheStateFileRoundTrip() {
        PlatformPorts original = PlatformPorts.withOffset(7);
        Properties props = new Properties();
        original.writeTo(props);
        assertThat(PlatformPorts.readFrom(props)).isEqualTo(original);
    }

    @Test
    void bindingsNameEveryPortOfAComponent() {
        PlatformPorts p = PlatformPorts.defaults();
        assertThat(p.bindings(Component.KAFKA)).containsEntry("kafka", 19092).containsEntry("kafka controller", 19093);
        assertThat(p.bindings(Component.TRAINING)).containsEntry("training HTTP", 8081).containsEntry("training gRPC", 9081);
        assertThat(p.bindings(Component.GATEWAY)).containsOnlyKeys("gateway HTTP");
    }
}
