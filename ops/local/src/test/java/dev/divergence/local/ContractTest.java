package dev.divergence.local;

import dev.divergence.local.kafka.KafkaServerProperties;
import dev.divergence.local.service.SpringBootService.ServiceEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The settings the launcher hands to Kafka and to the services. */
class ContractTest {

    private final LocalPlatformConfig config = LocalPlatformConfig.builder()
            .repoRoot(Path.of("/repo")).dataDir(Path.of("/repo/.data")).build();

    @Test
    void servicesGetTheirPortsDatabaseAndKafka() {
        Map<String, String> env = ServiceEnvironment.of(Component.EVALUATION, config);
        assertThat(env).containsEntry("SERVER_PORT", "8083")
                .containsEntry("DIVERGENCE_GRPC_PORT", "9083")
                .containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://localhost:15432/divergence")
                .containsEntry("SPRING_DATASOURCE_USERNAME", "postgres")
                .containsEntry("SPRING_DATASOURCE_PASSWORD", "postgres")
                .containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "localhost:19092")
                .containsEntry("DIVERGENCE_DATA_DIR", "/repo/.data");
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
    void theGatewayGetsTheServiceAddressesAndNoInfrastructure() {
        Map<String, String> env = ServiceEnvironment.of(Component.GATEWAY, config);
        assertThat(env).containsEntry("SERVER_PORT", "8080")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_TRAINING_URI", "http://localhost:8081")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_INFERENCE_URI", "http://localhost:8082")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_EVALUATION_URI", "http://localhost:8083")
                .containsEntry("DIVERGENCE_GATEWAY_SERVICES_MERGING_URI", "http://localhost:8084")
                .doesNotContainKeys("SPRING_DATASOURCE_URL", "SPRING_KAFKA_BOOTSTRAP_SERVERS", "DIVERGENCE_GRPC_PORT");
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
