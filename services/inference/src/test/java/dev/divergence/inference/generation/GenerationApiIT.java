package dev.divergence.inference.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.inference.InferenceTestBase;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.proto.inference.v1.DecodingStrategy;
import dev.divergence.proto.inference.v1.GenerateEvent;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The generation API of the running service over real sockets: REST, SSE and gRPC against the
 * embedded model server's tiny LM; every generation ends its sequences on the server; bad input
 * is answered with problem+json / INVALID_ARGUMENT naming the field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerationApiIT extends InferenceTestBase {

    private static final String MODEL = "tiny-lm";
    static final JsonMapper JSON = JsonMapper.builder().build();
    @LocalServerPort int port;
    @Autowired GrpcServerLifecycle grpc;
    @Autowired ModelServer server;
    @Autowired ModelCatalog catalog;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ManagedChannel channel;

    @BeforeAll
    void waitForTheModel() throws Exception {
        CatalogWaits.ready(catalog, MODEL);
        channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    }

    @AfterAll
    void closeChannel() {
        channel.shutdownNow();
    }

    @Test
    void generateReturnsTextTokensLogProbsAndDiagnostics() throws Exception {
        HttpResponse<String> response = post("/generate", """
                {"model":"tiny-lm","prompt":"12+7=","context":"12+7=25. ","strategy":{"name":"adacad"},"maxTokens":8,"diagnostics":true}""");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("model").asString()).isEqualTo(MODEL);
        assertThat(body.get("strategy").asString()).isEqualTo("adacad");
        JsonNode tokens = body.get("tokens");
        assertThat(tokens.size()).isBetween(1, 8);
        StringBuilder text = new StringBuilder();
        for (JsonNode token : tokens) {
            text.append(token.get("text").asString());
            assertThat(token.get("logProb").asDouble()).isLessThanOrEqualTo(0.0);
            assertThat(token.get("diagnostics").get("alpha").asDouble()).isBetween(0.0, Math.log(2));
            assertThat(token.get("diagnostics").get("entropy").asDouble()).isGreaterThanOrEqualTo(0.0);
            assertThat(token.get("diagnostics").has("confident")).isFalse();
        }
        assertThat(body.get("text").asString()).isEqualTo(text.toString());
        assertThat(body.get("usage").get("completionTokens").asInt()).isEqualTo(tokens.size());
        assertThat(body.get("usage").get("promptTokens").asInt()).isEqualTo(1 + "12+7=25. 12+7=".length());
        assertThat(body.get("finishReason").asString()).isIn("eos", "max_tokens");
        assertThat(activeSequences()).isZero();
    }

    @Test
    void ignoreEosGeneratesExactlyMaxTokensPastTheEndOfSequence() throws Exception {
        // a prompt the tiny LM answers and ends within a few tokens
        JsonNode ends = JSON.readTree(post("/generate", """
                {"model":"tiny-lm","prompt":"2+2=","maxTokens":40}""").body());
        JsonNode fixed = JSON.readTree(post("/generate", """
                {"model":"tiny-lm","prompt":"2+2=","maxTokens":40,"ignoreEos":true}""").body());

        assertThat(fixed.get("tokens").size()).isEqualTo(40);
        assertThat(fixed.get("finishReason").asString()).isEqualTo("max_tokens");
        if (ends.get("finishReason").asString().equals("eos")) {
            // the same greedy tokens up to where the other generation stopped
            for (int i = 0; i < ends.get("tokens").size(); i++) {
                assertThat(fixed.get("tokens").get(i).get("id").asLong()).isEqualTo(ends.get("tokens").get(i).get("id").asLong());
            }
        }
        assertThat(activeSequences()).isZero();
    }

    @Test
    void sseStreamsTheSameTokensAsGenerateThenDone() throws Exception {
        String request = """
                {"model":"tiny-lm","prompt":"Bob likes ","strategy":{"name":"uscd"},"lamePrompt":"Bob ","maxTokens":12,"diagnostics":true}""";
        JsonNode whole = JSON.readTree(post("/generate", request).body());

        HttpResponse<InputStream> response = http.send(streamRequest(request), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<Map.Entry<String, JsonNode>> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            Iterator<Map.Entry<String, JsonNode>> it = events(reader);
            while (it.hasNext()) {
                events.add(it.next());
            }
        }

        List<JsonNode> tokens = events.stream().filter(e -> e.getKey().equals("token")).map(Map.Entry::getValue).toList();
        assertThat(events.getLast().getKey()).isEqualTo("done");
        JsonNode done = events.getLast().getValue();
        assertThat(tokens).hasSize(whole.get("tokens").size());
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(tokens.get(i).get("id").asLong()).isEqualTo(whole.get("tokens").get(i).get("id").asLong());
            assertThat(tokens.get(i).get("diagnostics").get("confident").isBoolean()).isTrue();
        }
        assertThat(done.get("text").asString()).isEqualTo(whole.get("text").asString());
        assertThat(done.get("finishReason").asString()).isEqualTo(whole.get("finishReason").asString());
        assertThat(done.get("usage").get("completionTokens").asInt()).isEqualTo(tokens.size());
        assertThat(activeSequences()).isZero();
    }

    @Test
    void grpcGeneratesAndStreamsWhatRestGenerates() throws Exception {
        JsonNode rest = JSON.readTree(post("/generate", """
                {"model":"tiny-lm","prompt":"Eve saw a ","context":"Eve saw a cow. ","strategy":{"name":"cad","alpha":1.0},"maxTokens":10}""").body());
        var request = dev.divergence.proto.inference.v1.GenerateRequest.newBuilder().setModel(MODEL).setPrompt("Eve saw a ")
                .setContext("Eve saw a cow. ").setStrategy(DecodingStrategy.newBuilder().setName("cad").setAlpha(1.0)).setMaxTokens(10).build();

        var whole = GenerationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).generate(request);
        assertThat(whole.getText()).isEqualTo(rest.get("text").asString());
        assertThat(whole.getTokensCount()).isEqualTo(rest.get("tokens").size());

        List<GenerateEvent> events = new ArrayList<>();
        GenerationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).generateStream(request)
                .forEachRemaining(events::add);
        assertThat(events.getLast().hasDone()).isTrue();
        List<Long> streamed = events.stream().filter(GenerateEvent::hasToken).map(e -> e.getToken().getId()).toList();
        assertThat(streamed).containsExactlyElementsOf(whole.getTokensList().stream().map(t -> t.getId()).toList());
        assertThat(events.getLast().getDone().getText()).isEqualTo(whole.getText());
        assertThat(activeSequences()).isZero();
    }

    /**
     * A positive temperature so small that every score but the best one, divided by it, leaves
     * float64's range (down to the smallest double): sampling is then greedy, so the stream ends
     * with done, not error, and the text is greedy's; with a contrastive strategy too.
     */
    @Test
    void aVanishingTemperatureStreamsWhatGreedyGenerates() throws Exception {
        // the same request without a temperature (plain greedy, CAD's default temperature 0), then with a sampling one
        String[][] greedyAndSampling = {
                {"\"model\":\"tiny-lm\",\"prompt\":\"Eve saw a \",\"maxTokens\":10",
                        ",\"strategy\":{\"name\":\"sample\"},\"seed\":7"},
                {"\"model\":\"tiny-lm\",\"prompt\":\"Eve saw a \",\"context\":\"Eve saw a cow. \",\"maxTokens\":10,\"strategy\":{\"name\":\"cad\",\"alpha\":0.5}",
                        ",\"seed\":7"}};
        for (String[] pair : greedyAndSampling) {
            HttpResponse<String> greedyResponse = post("/generate", "{" + pair[0] + "}");
            assertThat(greedyResponse.statusCode()).as(greedyResponse.body()).isEqualTo(200);
            JsonNode greedy = JSON.readTree(greedyResponse.body());
            for (String temperature : new String[] {"1e-30", "1e-300", "4.9E-324"}) {
                String request = "{" + pair[0] + pair[1] + ",\"temperature\":" + temperature + "}";

                HttpResponse<String> whole = post("/generate", request);
                assertThat(whole.statusCode()).as(request + " -> " + whole.body()).isEqualTo(200);
                assertThat(JSON.readTree(whole.body()).get("text").asString()).as(request).isEqualTo(greedy.get("text").asString());

                HttpResponse<InputStream> response = http.send(streamRequest(request), HttpResponse.BodyHandlers.ofInputStream());
                assertThat(response.statusCode()).as(request).isEqualTo(200);
                List<Map.Entry<String, JsonNode>> events = new ArrayList<>();
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    events(reader).forEachRemaining(events::add);
                }
                assertThat(events.getLast().getKey()).as(request + " -> " + events.getLast()).isEqualTo("done");
                assertThat(events.getLast().getValue().get("text").asString()).as(request).isEqualTo(greedy.get("text").asString());
                for (Map.Entry<String, JsonNode> event : events) {
                    if (event.getKey().equals("token")) {
                        assertThat(event.getValue().get("logProb").asDouble()).as(request).isZero();
                    }
                }
            }
        }
        assertThat(activeSequences()).isZero();
    }

    @Test
    void badInputIsAProblemNamingTheField() throws Exception {
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"\"}", 400, "prompt");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"maxTokens\":0}", 400, "maxTokens");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"maxTokens\":100000}", 400, "maxTokens");
        // within the service limit but beyond the tiny LM's 128-token context
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"maxTokens\":500}", 400, "maxTokens");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"strategy\":{\"name\":\"beam\"}}", 400, "strategy.name");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"topP\":0}", 400, "topP");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"topP\":1.5}", 400, "topP");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"strategy\":{\"name\":\"adacad\"}}", 400, "context");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"strategy\":{\"name\":\"uscd\"}}", 400, "lamePrompt");
        assertProblem("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"strategy\":{\"name\":\"cad\",\"alpha\":-1},\"context\":\"c\"}", 400,
                "strategy.alpha");
        assertProblem("{\"model\":\"\",\"prompt\":\"hi\"}", 400, "model");
        HttpResponse<String> unknownModel = post("/generate", "{\"model\":\"no-such-model\",\"prompt\":\"hi\"}");
        assertThat(unknownModel.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknownModel.body()).get("detail").asString()).contains("model 'no-such-model'");

        // the stream endpoint refuses before streaming, with the same problem
        HttpResponse<String> stream = http.send(streamRequest("{\"model\":\"tiny-lm\",\"prompt\":\"hi\",\"topP\":1.5}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(stream.statusCode()).isEqualTo(400);
        assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(fields(JSON.readTree(stream.body()))).contains("topP");
    }

    @Test
    void badInputOverGrpcIsInvalidArgumentNamingTheField() {
        var stub = GenerationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        var base = dev.divergence.proto.inference.v1.GenerateRequest.newBuilder().setModel(MODEL).setPrompt("hi");

        assertInvalid(() -> stub.generate(base.clone().setPrompt("").build()), "prompt");
        assertInvalid(() -> stub.generate(base.clone().setMaxTokens(0).build()), "maxTokens");
        assertInvalid(() -> stub.generate(base.clone().setTopP(1.5).build()), "topP");
        assertInvalid(() -> stub.generate(base.clone().setStrategy(DecodingStrategy.newBuilder().setName("beam")).build()), "strategy.name");
        assertInvalid(() -> stub.generateStream(base.clone().setTopP(0).build()).hasNext(), "topP");
        assertThatThrownBy(() -> stub.generate(base.clone().setModel("no-such-model").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    private void assertInvalid(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).contains(field);
        });
    }

    private void assertProblem(String body, int status, String field) throws Exception {
        HttpResponse<String> response = post("/generate", body);
        assertThat(response.statusCode()).as(body).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(fields(JSON.readTree(response.body()))).as(body).contains(field);
    }

    private static List<String> fields(JsonNode problem) {
        List<String> fields = new ArrayList<>();
        problem.path("errors").forEach(error -> fields.add(error.get("field").asString()));
        return fields;
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/inference" + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest streamRequest(String body) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/inference/generate/stream"))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Server-sent events as (name, JSON data) pairs. */
    static Iterator<Map.Entry<String, JsonNode>> events(BufferedReader reader) {
        return new Iterator<>() {
            private Map.Entry<String, JsonNode> next = read();

            private Map.Entry<String, JsonNode> read() {
                try {
                    String name = null;
                    StringBuilder data = new StringBuilder();
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (line.startsWith("event:")) {
                            name = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            data.append(line.substring(5));
                        } else if (line.isEmpty() && name != null) {
                            return Map.entry(name, JSON.readTree(data.toString()));
                        }
                    }
                    return null;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Map.Entry<String, JsonNode> next() {
                Map.Entry<String, JsonNode> current = next;
                next = read();
                return current;
            }
        };
    }

    private int activeSequences() {
        return server.models().resolve(TritonNames.decoding(MODEL), "").activeSequences();
    }
}
