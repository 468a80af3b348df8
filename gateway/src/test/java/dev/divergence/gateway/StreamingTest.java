package dev.divergence.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Server-sent events (generation tokens, job progress) pass through the gateway as they are
 * produced: the first event must reach the client while the service still holds the second.
 */
class StreamingTest extends GatewayTestBase {

  @Test
  void serverSentEventsAreForwardedAsTheyArriveNotBuffered() throws Exception {
    HttpResponse<InputStream> response = CLIENT.send(request("/api/v1/inference/generate/stream")
        .POST(HttpRequest.BodyPublishers.ofString("{}"))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));

    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      // if the gateway buffered the answer, this read would wait until the fake service gives up
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> readData(lines));
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("first");
      INFERENCE.releaseStream();
      assertThat(readData(lines)).isEqualTo("second");
    }
  }

  private static String readData(BufferedReader lines) {
    try {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.startsWith("data:")) {
          return line.substring("data:".length()).trim();
        }
      }
      return null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
