package dev.divergence.local;

import dev.divergence.local.kafka.KafkaServerProperties;
import dev.divergence.local.service.SpringBootService.ServiceEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings the launcher hands to Kafka and to the services. */
class ContractTest {

    // the local secrets are made in the data folder: a folder of the build's, not the fictitious repository's
    private static final Path DATA_DIR = Path.of("target", "contract-test-data").toAbsolutePath();
    private final LocalPlatformConfig config = LocalPlatformConfig.builder()
            .repoRoot(Path.of("/repo")).dataDir(DATA_DIR).build();

    @Test
    void servicesGetTheirPortsDatabaseAndKafka() {
        Map<String, String> env = ServiceEnvironment.of(Component.EVALUATION, config);
        assertThat(env).containsEntry("SERVER_PORT", "8083")
                .containsEntry("DIVERGENCE_GRPC_PORT", "9083")
                .containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://localhost:15432/divergence")
                .containsEntry("SPRING_DATASOURCE_USERNAME", "postgres")
                .containsEntry("SPRING_DATASOURCE_PASSWORD", "postgres")
                .containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "localhost:19092")
                .containsEntry("DIVERGENCE_DATA_DIR", DATA_DIR.toString());
    }

    @Test
    void servicesThatNeedModelOutputsGetTheInferenceGrpcAddress() {
        assertThat(ServiceEnvironment.of(Component.EVALUATION, config))
                .containsEntry("DIVERGENCE_INFERENCE_GRPC_TARGET", "localhost:9082");
        assertThat(ServiceEnvironment.of(Component.MERGING, config))
                .containsEntry("DIVERGENCE_INFERENCE_GRPC_TARGET", "localhost:9082");
        assertThat(ServiceEnvironment.of(Component.TRAINING, config)).doesNotContainKey("DIVERGENCE_INFERENCE_GRPC_TARGET");
        assertThat(ServiceEnvironment.of(Component.GATEWAY, config)).doesNotContainKey("DIVERGENCE_INFERENCE_GRPC_TARGET");
    }

    @Test
    void evaluationAndMergingGetTheTrainingGrpcAddressForDatasetsAndModels() {
        assertThat(ServiceEnvironment.of(Component.EVALUATION, config))
                .containsEntry("DIVERGENCE_TRAINING_GRPC_TARGET", "localhost:9081");
        assertThat(ServiceEnvironment.of(Component.MERGING, config))
                .containsEntry("DIVERGENCE_TRAINING_GRPC_TARGET", "localhost:9081");
        assertThat(ServiceEnvironment.of(Component.TRAINING, config)).doesNotContainKey("DIVERGENCE_TRAINING_GRPC_TARGET");
    }

    @Test
    void externalInfrastructureReachesTheServicesUnchanged() {
        LocalPlatformConfig external = config.toBuilder().externalKafka("k1:9092,k2:9092")
                .externalDatabase("jdbc:postgresql://db:5432/prod", "app", "secret").build();
        assertThat(ServiceEnvironment.of(Component.TRAINING, external))
                .containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
                .containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://db:5432/prod")
                .containsEntry("SPRING_DATASOURCE_USERNAME", "app")
                .containsEntry("SPRING_DATASOURCE_PASSWORD", "secret");
    }

    @Test
    void theGatewayGetsTheServiceAddressesItsKeyStoreAndNoKafka() {
        Map<String, String> env = ServiceEnvironment.of(Component.GATEWAY, config);
        assertThat(env).containsEntry("SERVER_PORT", "8080")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_TRAINING_URI", "http://localhost:8081")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_INFERENCE_URI", "http://localhost:8082")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_EVALUATION_URI", "http://localhost:8083")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_MERGING_URI", "http://localhost:8084")
                // the gRPC entry point on 9090 and each service's gRPC port behind it
                .containsEntry("DIVERGENCE_GATEWAY_GRPC_PORT", "9090")
                .containsEntry("DIVERGENCE_GATEWAY_GRPC_SERVICES_TRAINING_TARGET", "localhost:9081")
                .containsEntry("DIVERGENCE_GATEWAY_GRPC_SERVICES_INFERENCE_TARGET", "localhost:9082")
                .containsEntry("DIVERGENCE_GATEWAY_GRPC_SERVICES_EVALUATION_TARGET", "localhost:9083")
                .containsEntry("DIVERGENCE_GATEWAY_GRPC_SERVICES_MERGING_TARGET", "localhost:9084")
                // API keys live in the gateway's schema; the first admin's key and the identity secret are the data folder's
                .containsEntry("SPRING_DATASOURCE_URL", config.jdbcUrl())
                .containsKeys("DIVERGENCE_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY", "DIVERGENCE_SECURITY_IDENTITY_SECRET")
                .doesNotContainKeys("SPRING_KAFKA_BOOTSTRAP_SERVERS", "DIVERGENCE_GRPC_PORT");
        assertThat(env.get("DIVERGENCE_GATEWAY_AUTH_BOOTSTRAP_ADMIN_KEY")).matches("dvg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
        assertThat(ServiceEnvironment.of(Component.TRAINING, config).get("DIVERGENCE_SECURITY_IDENTITY_SECRET"))
                .as("every service verifies with the secret the gateway signs with")
                .isEqualTo(env.get("DIVERGENCE_SECURITY_IDENTITY_SECRET"));
    }

    @Test
    void aGatewayWithoutAReservedGrpcPortStartsWithItsEntryPointOff() {
        java.util.Properties state = new java.util.Properties();
        config.ports().writeTo(state);
        state.remove("port.gateway-grpc");
        LocalPlatformConfig older = config.toBuilder().ports(PlatformPorts.readFrom(state)).build();
        // not 0 (a random port nobody can find) and not the default 9090 (another platform may hold it)
        assertThat(ServiceEnvironment.of(Component.GATEWAY, older)).containsEntry("DIVERGENCE_GATEWAY_GRPC_PORT", "-1");
    }

    @Test
    void kafkaIsOneCombinedNodeWithSingleReplicaDefaults() {
        Map<String, String> p = KafkaServerProperties.forSingleNode(19092, 19093, Path.of("/repo/.data/kafka"));
        assertThat(p).containsEntry("process.roles", "broker,controller")
                .containsEntry("controller.quorum.voters", "1@localhost:19093")
                .containsEntry("listeners", "PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093")
                .containsEntry("log.dirs", "/repo/.data/kafka")
                .containsEntry("auto.create.topics.enable", "true")
                .containsEntry("num.partitions", "3")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("group.initial.rebalance.delay.ms", "0");
    }
}
