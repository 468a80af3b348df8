package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.modelserver.repository.RepositoryWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The KServe v2 REST endpoints with JSON tensors, against the same tiny models. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestEndpointTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();
    private NDManager manager;
    private ModelServer server;
    private Path repository;

    @BeforeAll
    void start() throws Exception {
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
        Path lm = assets.ensure(manager, TinyAssets.TINY_LM);
        Path cancer = assets.ensure(manager, TinyAssets.CANCER_STUDENT);
        Files.createDirectories(Path.of("target/tmp"));
        repository = Files.createTempDirectory(Path.of("target/tmp"), "rest-repository-");
        RepositoryWriter writer = new RepositoryWriter(repository);
        writer.write(RepositoryWriter.languageModelConfig("tiny-lm", lm, 4), 1, lm);
        writer.write(RepositoryWriter.classifierConfig("cancer", cancer, 4), 1, cancer);
        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, -1), List.of("tiny-lm", "cancer"));
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
    void healthMetadataAndConfig() throws Exception {
        assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/tiny-lm/ready").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/nope/ready").statusCode()).isEqualTo(400);
        assertThat(json(get("/v2")).path("extensions").toString()).contains("model_repository");
        JsonNode metadata = json(get("/v2/models/tiny-lm"));
        assertThat(metadata.path("inputs").get(0).path("datatype").asString()).isEqualTo("INT64");
        assertThat(json(get("/v2/models/tiny-lm/versions/1/config")).path("max_batch_size").asInt()).isEqualTo(4);
    }

    @Test
    void inferWithJsonTensorsMatchesGrpc() throws Exception {
        String body = """
                {"id": "r1", "inputs": [{"name": "input_ids", "datatype": "INT64", "shape": [1, 3], "data": [[1, 50, 51]]}]}""";
        HttpResponse<String> response = post("/v2/models/tiny-lm/infer", body);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode out = json(response).path("outputs").get(0);
        assertThat(out.path("name").asString()).isEqualTo("logits");
        assertThat(out.path("shape").get(0).asInt()).isEqualTo(1);
        try (var client = dev.divergence.modelserver.client.TritonClient.connect("127.0.0.1:" + server.port(),
                dev.divergence.modelserver.client.ClientOptions.defaults())) {
            float[] grpc = client.infer(dev.divergence.modelserver.client.InferRequest.to("tiny-lm")
                    .input("input_ids", dev.divergence.modelserver.tensor.Tensor.int64(new long[] {1, 3}, 1, 50, 51))).output("logits").toFloats();
            for (int i = 0; i < grpc.length; i++) {
                assertThat((float) out.path("data").get(i).asDouble()).isEqualTo(grpc[i]);
            }
        }
        JsonNode labels = json(post("/v2/models/cancer/infer", """
                {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 30], "data": %s}], "outputs": [{"name": "labels"}]}"""
                .formatted(java.util.Collections.nCopies(30, "1.0").toString()))).path("outputs").get(0);
        assertThat(labels.path("datatype").asString()).isEqualTo("BYTES");
        assertThat(labels.path("data").get(0).isString()).isTrue();
    }

    @Test
    void errorsMapToHttpStatuses() throws Exception {
        assertThat(post("/v2/models/nope/infer", "{\"inputs\": []}").statusCode()).isEqualTo(400);
        assertThat(post("/v2/models/tiny-lm/versions/9/infer", "{\"inputs\": []}").statusCode()).isEqualTo(404);
        HttpResponse<String> wrongType = post("/v2/models/tiny-lm/infer",
                "{\"inputs\": [{\"name\": \"input_ids\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1.0]}]}");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(json(wrongType).path("error").asString()).contains("data-type");
        assertThat(post("/v2/models/tiny-lm/infer", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void repositoryIndexLoadAndUnload() throws Exception {
        assertThat(post("/v2/repository/models/cancer/unload", "").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cancer/ready").statusCode()).isEqualTo(400);
        assertThat(json(post("/v2/repository/index", "{}")).toString()).contains("\"name\":\"cancer\"", "UNAVAILABLE");
        assertThat(post("/v2/repository/models/cancer/load", "").statusCode()).isEqualTo(200);
        assertThat(get("/v2/models/cancer/ready").statusCode()).isEqualTo(200);
        assertThat(json(get("/v2/models/stats")).path("model_stats").isArray()).isTrue();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.httpPort() + path);
    }

    private static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }
}
