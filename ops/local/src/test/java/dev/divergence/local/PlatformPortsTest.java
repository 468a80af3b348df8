package dev.divergence.local;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

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
        assertThat(p.grpc(Component.GATEWAY)).isEqualTo(9090);
        // the inference service's embedded model server listens where Triton would
        assertThat(p.triton()).isEqualTo(new PlatformPorts.TritonPorts(8000, 8001, 8002));
    }

    @Test
    void anOffsetShiftsEveryPort() {
        PlatformPorts p = PlatformPorts.withOffset(1000);
        assertThat(p.kafka()).isEqualTo(20092);
        assertThat(p.postgres()).isEqualTo(16432);
        assertThat(p.http(Component.GATEWAY)).isEqualTo(9080);
        assertThat(p.grpc(Component.MERGING)).isEqualTo(10084);
        assertThat(p.grpc(Component.GATEWAY)).isEqualTo(10090);
        assertThat(p.triton()).isEqualTo(new PlatformPorts.TritonPorts(9000, 9001, 9002));
    }

    @Test
    void singlePortsCanBeOverriddenByName() {
        PlatformPorts p = PlatformPorts.defaults().with("training-grpc", 7001).with("postgres", 5433);
        assertThat(p.grpc(Component.TRAINING)).isEqualTo(7001);
        assertThat(p.postgres()).isEqualTo(5433);
        assertThat(p.http(Component.TRAINING)).isEqualTo(8081);
        PlatformPorts triton = PlatformPorts.defaults().with("triton-grpc", 18001).with("triton-http", 18000).with("triton-metrics", 18002);
        assertThat(triton.triton()).isEqualTo(new PlatformPorts.TritonPorts(18000, 18001, 18002));
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
        assertThat(p.bindings(Component.GATEWAY)).containsOnly(entry("gateway HTTP", 8080), entry("gateway gRPC", 9090));
        assertThat(p.bindings(Component.INFERENCE)).containsEntry("inference HTTP", 8082).containsEntry("inference gRPC", 9082)
                .containsEntry("triton http", 8000).containsEntry("triton grpc", 8001).containsEntry("triton metrics", 8002);
    }

    @Test
    void aStateFileWithoutTheGatewaysGrpcPortReadsAsNone() {
        Properties props = new Properties();
        PlatformPorts.defaults().writeTo(props);
        props.remove("port.gateway-grpc");
        PlatformPorts read = PlatformPorts.readFrom(props);
        // written before the gateway had a gRPC entry point; ContractTest: then the gateway starts with it off
        assertThat(read.grpc(Component.GATEWAY)).isZero();
    }

    @Test
    void aStateFileWithoutModelServerPortsReadsAsTheDefaults() {
        Properties props = new Properties();
        PlatformPorts.withOffset(3).writeTo(props);
        props.remove("port.triton-http");
        props.remove("port.triton-grpc");
        props.remove("port.triton-metrics");
        assertThat(PlatformPorts.readFrom(props).triton()).isEqualTo(new PlatformPorts.TritonPorts(8000, 8001, 8002));
    }
}
