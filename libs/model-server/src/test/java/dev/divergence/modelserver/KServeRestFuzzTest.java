package dev.divergence.modelserver;

import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Fuzzes the model server's KServe v2 REST API (the port Triton's HTTP clients use). The server serves no
 * OpenAPI document of its own, so the test fuzzes from one written for it from the protocol's published
 * description ({@code src/test/resources/kserve/v2-rest-openapi.json}). No request may be answered with a
 * server error or run out its time; a 400 must be the protocol's error body ({@code {"error": "..."}}) or
 * the empty body of a not-ready answer. Requests start from valid inference requests for a language
 * model and a classifier. The seed and the count are {@code -Dfuzz.seed} and {@code -Dfuzz.requests}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KServeRestFuzzTest {

    private static final int REQUESTS = 1500;

    private FuzzedModelServer server;

    @BeforeAll
    void startServer() throws IOException {
        server = FuzzedModelServer.start("rest-fuzz-repository-");
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void restApiAnswersEveryMutatedRequestWithoutAServerError() throws Exception {
        String document;
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/kserve/v2-rest-openapi.json"))) {
            document = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder features = new StringBuilder();
        for (int i = 0; i < FuzzedModelServer.FEATURES; i++) {
            features.append(i == 0 ? "" : ",").append(i / (double) FuzzedModelServer.FEATURES);
        }
        RestApiFuzzer.forService("http://127.0.0.1:" + server.httpPort())
                .document(document)
                .badRequests("the protocol's error body {\"error\": ...} (or the empty body of a not-ready answer)",
                        (type, body) -> body.isEmpty() || body.contains("\"error\""))
                .pathValues("model", () -> List.of(FuzzedModelServer.LM, FuzzedModelServer.CLASSIFIER))
                .pathValues("version", () -> List.of("1"))
                .pathValues("spare", () -> List.of(FuzzedModelServer.SPARE))
                .example("POST", "/v2/models/{model}/infer",
                        "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1,3],\"datatype\":\"INT64\",\"data\":[1,2,3]}]}")
                .example("POST", "/v2/models/{model}/infer",
                        "{\"inputs\":[{\"name\":\"features\",\"shape\":[1," + FuzzedModelServer.FEATURES + "],\"datatype\":\"FP32\",\"data\":[" + features + "]}],"
                                + "\"outputs\":[{\"name\":\"logits\"}]}")
                .requests(Integer.getInteger("fuzz.requests", REQUESTS))
                .build()
                .run()
                .assertNoFailures();
    }
}
