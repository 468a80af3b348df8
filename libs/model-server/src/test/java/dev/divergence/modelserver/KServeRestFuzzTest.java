package dev.divergence.modelserver;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.platform.test.fuzz.RestApiFuzzer;
import dev.divergence.proto.triton.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static final String LM = "tiny-lm";
    private static final String CLASSIFIER = "cancer";
    /** The only model the fuzzer may unload, so that the two above stay served. */
    private static final String SPARE = "cancer-spare";
    private static final int REQUESTS = 1500;

    private NDManager manager;
    private ModelServer server;

    @BeforeAll
    void startServer() throws IOException {
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), "rest-fuzz-repository-");
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
        Path lmDir = assets.ensure(manager, TinyAssets.TINY_LM);
        Path classifierDir = assets.ensure(manager, TinyAssets.CANCER_STUDENT);
        RepositoryWriter writer = new RepositoryWriter(repository);
        writer.write(RepositoryWriter.languageModelConfig(LM, lmDir, 4), 1, lmDir);
        ModelConfig classifier = RepositoryWriter.classifierConfig(CLASSIFIER, classifierDir, 4);
        writer.write(classifier, 1, classifierDir);
        writer.write(classifier.toBuilder().setName(SPARE).build(), 1, classifierDir);
        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, -1), List.of(LM, CLASSIFIER, SPARE));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void restApiAnswersEveryMutatedRequestWithoutAServerError() throws Exception {
        String document;
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/kserve/v2-rest-openapi.json"))) {
            document = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder features = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            features.append(i == 0 ? "" : ",").append(i / 30.0);
        }
        RestApiFuzzer.forService("http://127.0.0.1:" + server.httpPort())
                .document(document)
                .badRequests("the protocol's error body {\"error\": ...} (or the empty body of a not-ready answer)",
                        (type, body) -> body.isEmpty() || body.contains("\"error\""))
                .pathValues("model", () -> List.of(LM, CLASSIFIER))
                .pathValues("version", () -> List.of("1"))
                .pathValues("spare", () -> List.of(SPARE))
                .example("POST", "/v2/models/{model}/infer",
                        "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1,3],\"datatype\":\"INT64\",\"data\":[1,2,3]}]}")
                .example("POST", "/v2/models/{model}/infer",
                        "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":[" + features + "]}],"
                                + "\"outputs\":[{\"name\":\"logits\"}]}")
                .requests(Integer.getInteger("fuzz.requests", REQUESTS))
                .build()
                .run()
                .assertNoFailures();
    }
}
