package dev.divergence.gateway.auth;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * What the edge lets in besides credentials ({@code divergence.gateway.edge.*}).
 *
 * @param maxRequestSize the largest request body (a dataset upload is the largest legitimate one);
 *     a larger one is answered 413 without reaching a service
 * @param corsAllowedOrigins browser origins (e.g. {@code https://dashboard.example.com}) whose pages
 *     may call the API; none by default, as the dashboard is served from the gateway's own origin
 */
@ConfigurationProperties("divergence.gateway.edge")
public record EdgeProperties(DataSize maxRequestSize, List<String> corsAllowedOrigins) {

  public EdgeProperties {
    maxRequestSize = maxRequestSize == null ? DataSize.ofMegabytes(64) : maxRequestSize;
    corsAllowedOrigins = corsAllowedOrigins == null ? List.of()
        : corsAllowedOrigins.stream().filter(origin -> origin != null && !origin.isBlank()).toList();
  }
}
