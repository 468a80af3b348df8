package dev.divergence.platform.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.ClassUtils;

/**
 * Shared service defaults: actuator probes, Prometheus, structured logs, tracing, strict JSON,
 * and — for services with a database and Kafka — datasource, Flyway and Kafka settings. They are
 * added with the lowest precedence, so a service's application.yml, environment variables and
 * command-line arguments override any of them.
 */
public class ServiceDefaultsEnvironmentPostProcessor implements EnvironmentPostProcessor {

  static final String BASE = "META-INF/divergence/service-defaults.yml";
  static final String DATA = "META-INF/divergence/data-service-defaults.yml";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    ClassLoader classLoader = getClass().getClassLoader();
    boolean dataService = ClassUtils.isPresent("org.springframework.jdbc.core.JdbcTemplate", classLoader)
        && ClassUtils.isPresent("org.springframework.kafka.core.KafkaTemplate", classLoader)
        && ClassUtils.isPresent("org.flywaydb.core.Flyway", classLoader);
    if (dataService) {
      addLast(environment, DATA);
    }
    addLast(environment, BASE);
  }

  private static void addLast(ConfigurableEnvironment environment, String location) {
    try {
      for (PropertySource<?> source : new YamlPropertySourceLoader().load(location, new ClassPathResource(location))) {
        environment.getPropertySources().addLast(source);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location, e);
    }
  }
}
