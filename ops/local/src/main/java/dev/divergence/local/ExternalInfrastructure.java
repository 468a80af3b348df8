package dev.divergence.local;

/**
 * A Kafka broker and/or PostgreSQL database the launcher does not start (a shared broker, a database in
 * docker-compose): the services are pointed at them instead. A null field means "run the local one".
 */
public record ExternalInfrastructure(String kafkaBootstrapServers, String jdbcUrl, String databaseUser,
                                     String databasePassword) {

    public static final ExternalInfrastructure NONE = new ExternalInfrastructure(null, null, null, null);

    public boolean hasKafka() {
        return kafkaBootstrapServers != null;
    }

    public boolean hasDatabase() {
        return jdbcUrl != null;
    }

    public ExternalInfrastructure withKafka(String bootstrapServers) {
        return new ExternalInfrastructure(bootstrapServers, jdbcUrl, databaseUser, databasePassword);
    }

    public ExternalInfrastructure withDatabase(String url, String user, String password) {
        return new ExternalInfrastructure(kafkaBootstrapServers, url, user, password);
    }
}
