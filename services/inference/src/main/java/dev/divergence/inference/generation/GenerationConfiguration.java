package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.TritonLogitsStream;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.modelserver.client.TritonClient;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Decoding goes to each model's stateful Triton entry, on the embedded server or a real Triton alike. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GenerationProperties.class)
public class GenerationConfiguration {

    @Bean
    DecodingBackend decodingBackend(TritonClient client) {
        return model -> TritonLogitsStream.on(client, TritonNames.decoding(model));
    }
}
