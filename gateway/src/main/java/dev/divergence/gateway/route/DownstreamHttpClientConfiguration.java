package dev.divergence.gateway.route;

import dev.divergence.gateway.GatewayProperties;
import java.net.http.HttpClient;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ClientHttpRequestFactory;

/**
 * The HTTP client the gateway proxies with. Spring Cloud Gateway applies a {@link ClientHttpRequestFactory}
 * bean to its proxy client, so the timeouts live with the rest of {@code divergence.gateway.*}.
 */
@Configuration(proxyBeanMethods = false)
class DownstreamHttpClientConfiguration {

  @Bean
  ClientHttpRequestFactory downstreamRequestFactory(GatewayProperties properties) {
    HttpClientSettings settings = HttpClientSettings.defaults()
        .withTimeouts(properties.connectTimeout(), properties.readTimeout())
        // a redirect is the service's answer to the caller, not something the gateway should follow
        .withRedirects(HttpRedirects.DONT_FOLLOW);
    return ClientHttpRequestFactoryBuilder.jdk()
        // plain HTTP/1.1 inside the platform: the JDK client's h2c upgrade attempt only adds headers
        .withHttpClientCustomizer(client -> client.version(HttpClient.Version.HTTP_1_1))
        .build(settings);
  }
}
