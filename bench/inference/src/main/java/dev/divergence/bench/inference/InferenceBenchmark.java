package dev.divergence.bench.inference;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.tokenizer.ByteTokenizer;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.ModelConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Greedy generation of exactly {@value #MAX_TOKENS} tokens (end-of-sequence ignored on every path) from fixed prompts with the tiny LM, at
 * concurrency 1, 8 and 32, against one of:
 * <ul>
 *   <li>{@code direct}: an embedded model server in this JVM, over gRPC with {@link TritonClient}
 *   (the decode loop the inference service runs: prompt with sequence_start, then one token per
 *   request, sequence_end on the last), on two entries of the same model: {@code tiny-lm__decode}
 *   with the oldest sequence batching strategy (batching on) and {@code tiny-lm-direct__decode}
 *   with the direct strategy (batching off); the two alternate per concurrency in each round,
 *   which of them goes first alternating between rounds;</li>
 *   <li>{@code http}: {@code POST <base>/api/v1/inference/generate} (the inference service, or the
 *   gateway in front of it), one request per generation.</li>
 * </ul>
 * usage: InferenceBenchmark direct OUT_JSON ASSETS_DIR ROUNDS
 *    or: InferenceBenchmark http OUT_JSON BASE_URL TARGET_LABEL ROUNDS MODEL
 *    or: InferenceBenchmark grpc OUT_JSON HOST:PORT TARGET_LABEL ROUNDS DECODE_MODEL  (a running server)
 */
public final class InferenceBenchmark {

    static final int MAX_TOKENS = 32;
    static final int[] CONCURRENCY = {1, 8, 32};
    static final String BATCHED = "tiny-lm__decode";
    static final String UNBATCHED = "tiny-lm-direct__decode";
    static final List<String> PROMPTS = List.of("12+7=", "The cat sat on the ", "divergence ", "hello world, ", "3*4=",
            "once upon a time ", "abc", "The answer is ");

    private InferenceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<LoadRun.Outcome> outcomes = switch (args[0]) {
            case "direct" -> direct(Path.of(args[2]), Integer.parseInt(args[3]));
            case "http" -> http(args[2], args[3], Integer.parseInt(args[4]), args[5]);
            case "grpc" -> remote(args[2], args[3], Integer.parseInt(args[4]), args[5]);
            default -> throw new IllegalArgumentException("mode direct|http, got " + args[0]);
        };
        List<String> json = outcomes.stream().map(LoadRun.Outcome::toJson).toList();
        Files.writeString(Path.of(args[1]), "[\n  " + String.join(",\n  ", json) + "\n]\n");
        System.exit(0); // the embedded server's and the clients' non-daemon threads
    }

    /** Generations per client: enough for a p99 at high concurrency, bounded time at low. */
    static int perClient(int concurrency) {
        return concurrency == 1 ? 24 : concurrency == 8 ? 8 : 4;
    }

    private static List<LoadRun.Outcome> direct(Path assetsDir, int rounds) throws Exception {
        DjlRuntime.configure(assetsDir.resolve("djl-cache"));
        Path repository = Files.createTempDirectory("bench-inference-repository-");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
            Path lmDir = new TinyAssets(assetsDir, TinyAssets.Budget.standard()).ensure(manager, TinyAssets.TINY_LM);
            RepositoryWriter writer = new RepositoryWriter(repository);
            ModelConfig stateless = RepositoryWriter.languageModelConfig("tiny-lm", lmDir, 8);
            ModelConfig batched = RepositoryWriter.decodingConfig(stateless, BATCHED);
            writer.write(batched, 1, lmDir);
            // the same entry with the direct strategy: every request executes alone
            writer.write(batched.toBuilder().setName(UNBATCHED)
                    .setSequenceBatching(batched.getSequenceBatching().toBuilder().clearOldest()).build(), 1, lmDir);
        }
        List<long[]> prompts = PROMPTS.stream().map(p -> new ByteTokenizer().encodeWithBos(p)).toList();
        List<LoadRun.Outcome> outcomes = new ArrayList<>();
        try (ModelServer server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, 0), List.of(BATCHED, UNBATCHED));
                TritonClient client = TritonClient.connect("127.0.0.1:" + server.port(),
                        ClientOptions.defaults().withDeadline(Duration.ofSeconds(120)))) {
            AtomicLong ids = new AtomicLong();
            for (String model : List.of(BATCHED, UNBATCHED)) {
                LoadRun.run(model, 8, 1, (c, i) -> decode(client, model, "warmup-" + ids.incrementAndGet(), prompts.get(c % prompts.size())));
            }
            for (int round = 1; round <= rounds; round++) {
                for (int concurrency : CONCURRENCY) {
                    // the order alternates between rounds so that neither side always runs first
                    for (String model : round % 2 == 1 ? List.of(BATCHED, UNBATCHED) : List.of(UNBATCHED, BATCHED)) {
                        LoadRun.Outcome outcome = LoadRun.run(model, concurrency, perClient(concurrency),
                                (c, i) -> decode(client, model, "g-" + ids.incrementAndGet(), prompts.get((c + i) % prompts.size())));
                        System.out.println("round " + round + ": " + outcome.toJson());
                        outcomes.add(outcome);
                    }
                }
            }
            for (String model : List.of(BATCHED, UNBATCHED)) {
                System.out.println("server statistics " + model + ": " + executionSummary(client.statistics(model, "").getModelStats(0)));
            }
        }
        return outcomes;
    }

    /** The decode loop against a server already running (the one behind the inference service). */
    private static List<LoadRun.Outcome> remote(String target, String label, int rounds, String model) throws Exception {
        List<long[]> prompts = PROMPTS.stream().map(p -> new ByteTokenizer().encodeWithBos(p)).toList();
        List<LoadRun.Outcome> outcomes = new ArrayList<>();
        try (TritonClient client = TritonClient.connect(target, ClientOptions.defaults().withDeadline(Duration.ofSeconds(120)))) {
            AtomicLong ids = new AtomicLong(System.nanoTime());
            LoadRun.run(label, 8, 1, (c, i) -> decode(client, model, "bench-" + ids.incrementAndGet(), prompts.get(c % prompts.size())));
            for (int round = 1; round <= rounds; round++) {
                for (int concurrency : CONCURRENCY) {
                    LoadRun.Outcome outcome = LoadRun.run(label, concurrency, perClient(concurrency),
                            (c, i) -> decode(client, model, "bench-" + ids.incrementAndGet(), prompts.get((c + i) % prompts.size())));
                    System.out.println("round " + round + ": " + outcome.toJson());
                    outcomes.add(outcome);
                }
            }
        }
        return outcomes;
    }

    /** Executions by batch size with their mean compute time, from the server's statistics RPC. */
    static String executionSummary(dev.divergence.proto.triton.ModelStatistics statistics) {
        StringBuilder summary = new StringBuilder("requests " + statistics.getInferenceCount() + ", executions " + statistics.getExecutionCount()
                + ", mean queue " + String.format(java.util.Locale.ROOT, "%.3f ms", statistics.getInferenceStats().getQueue().getNs()
                        / 1e6 / Math.max(1, statistics.getInferenceStats().getQueue().getCount())) + "; batch size: executions, mean compute ms:");
        for (var batch : statistics.getBatchStatsList()) {
            summary.append(String.format(java.util.Locale.ROOT, " %d: %d, %.3f;", batch.getBatchSize(), batch.getComputeInfer().getCount(),
                    batch.getComputeInfer().getNs() / 1e6 / Math.max(1, batch.getComputeInfer().getCount())));
        }
        return summary.toString();
    }

    /**
     * The inference service's decode loop for greedy generation, request for request, with a
     * fixed length (as LLM load tests do: the service is asked with ignoreEos): the prompt with
     * the start flag, then each chosen token; after MAX_TOKENS tokens the last one is sent once
     * more with the end flag (Triton ends a sequence only on a request with input), as the
     * service does.
     */
    private static int decode(TritonClient client, String model, String sequence, long[] prompt) {
        float[] logits = step(client, model, sequence, prompt, true, false);
        for (int generated = 1; ; generated++) {
            long token = argmax(logits);
            boolean last = generated == MAX_TOKENS;
            logits = step(client, model, sequence, new long[] {token}, false, last);
            if (last) {
                return generated;
            }
        }
    }

    private static float[] step(TritonClient client, String model, String sequence, long[] ids, boolean start, boolean end) {
        return client.infer(InferRequest.to(model).sequence(sequence, start, end)
                .input("input_ids", Tensor.int64(new long[] {1, ids.length}, ids)).output("logits")).output("logits").toFloats();
    }

    private static java.util.Optional<String> credential(String variable) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(value);
    }

    private static List<LoadRun.Outcome> http(String base, String label, int rounds, String model) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        ObjectMapper json = new ObjectMapper();
        URI uri = URI.create(base + "/api/v1/inference/generate");
        LoadRun.Generation generation = (c, i) -> {
            String body = json.writeValueAsString(java.util.Map.of("model", model, "prompt", PROMPTS.get((c + i) % PROMPTS.size()),
                    "maxTokens", MAX_TOKENS, "ignoreEos", true, "strategy", java.util.Map.of("name", "greedy")));
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            // credentials: an API key for the gateway, the platform's signed identity for a service port
            credential("BENCH_API_KEY").ifPresent(key -> request.header("X-Api-Key", key));
            credential("BENCH_IDENTITY").ifPresent(token -> request.header("X-Divergence-Identity", token));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(uri + " answered " + response.statusCode() + ": " + response.body());
            }
            JsonNode usage = json.readTree(response.body()).path("usage");
            return usage.path("completionTokens").asInt(MAX_TOKENS);
        };
        LoadRun.run(label, 8, 1, generation);
        List<LoadRun.Outcome> outcomes = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (int concurrency : CONCURRENCY) {
                LoadRun.Outcome outcome = LoadRun.run(label, concurrency, perClient(concurrency), generation);
                System.out.println("round " + round + ": " + outcome.toJson());
                outcomes.add(outcome);
            }
        }
        return outcomes;
    }

    private static long argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
