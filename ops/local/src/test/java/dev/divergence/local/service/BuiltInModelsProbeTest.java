package dev.divergence.local.service;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The probe against a real HTTP server on loopback that answers what the inference service's endpoint answers. */
class BuiltInModelsProbeTest {

    @Test
    void readsWhichBuiltInModelsArePreparingServableOrFailed() {
        var answer = BuiltInModelsProbe.parse("""
                {"allServable":false,"models":[
                  {"name":"tiny-lm","state":"PREPARING","servable":false,"message":"being made"},
                  {"name":"digits-cnn-generalist","state":"READY","servable":true,"message":null},
                  {"name":"digits-cnn-expert","state":"FAILED","servable":false,"message":"out of disk"}]}""").orElseThrow();
        assertThat(answer.allServable()).isFalse();
        assertThat(answer.summary()).isEqualTo("tiny-lm PREPARING, digits-cnn-generalist READY, digits-cnn-expert FAILED");
        assertThat(answer.failed()).singleElement().satisfies(m -> {
            assertThat(m.name()).isEqualTo("digits-cnn-expert");
            assertThat(m.message()).isEqualTo("out of disk");
        });
    }

    @Test
    void anythingElseIsNoAnswer() {
        assertThat(BuiltInModelsProbe.parse("{\"status\":\"UP\"}")).isEmpty();
        assertThat(BuiltInModelsProbe.parse("not json")).isEmpty();
    }

    @Test
    void asksTheServiceOverHttp() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(BuiltInModelsProbe.PATH, exchange -> {
            byte[] bytes = "{\"allServable\":true,\"models\":[{\"name\":\"tiny-lm\",\"state\":\"READY\",\"servable\":true}]}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.createContext("/other", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            var answer = BuiltInModelsProbe.ask(base, Duration.ofSeconds(5)).orElseThrow();
            assertThat(answer.allServable()).isTrue();
            assertThat(answer.summary()).isEqualTo("tiny-lm READY");
            assertThat(BuiltInModelsProbe.ask(base + "/other", Duration.ofSeconds(5))).isEmpty();
        } finally {
            server.stop(0);
        }
    }
}
