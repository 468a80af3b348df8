package dev.divergence.platform.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives the test class a real PostgreSQL and a real Kafka broker (KRaft), started once per test
 * JVM and shared by every test class that asks for them. Spring Boot tests pick them up through
 * the standard {@code spring.datasource.*} and {@code spring.kafka.bootstrap-servers} properties.
 * Put it before {@code @SpringBootTest}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EmbeddedInfrastructureExtension.class)
public @interface EmbeddedInfrastructure {}
