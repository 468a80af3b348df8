package dev.divergence.bench.evaluation;

import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import dev.divergence.proto.inference.v1.TokenDistributionsResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The service side of the token-scoring benchmark (bench/evaluation/score_tokens.py describes the
 * work): the texts of ITEMS_JSONL ({"prompt", "answer"} a line) through the inference service's
 * gRPC ScoringService/TokenDistributions with full distributions, in chunks of CHUNK items per call
 * sent one after the other, as the evaluation service's InferenceClient sends them.
 *
 * <pre>
 * TokenScoring dump TARGET MODEL ITEMS_JSONL OUT_JSON [CHUNK]   the answer, for score_tokens.py check
 * TokenScoring time TARGET MODEL ITEMS_JSONL OUT_JSON [CHUNK [TOP_K]]   answer tokens scored per second, merged into OUT_JSON
 * </pre>
 * TOP_K (default 0, full distributions, the benchmark's setting) shows what shipping full answers costs.
 */
public final class TokenScoring {

    /** Texts whose full distributions the dump carries (all texts' token log-probs and entropies are in it). */
    private static final int DUMPED_DISTRIBUTIONS = 8;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** 0 (full distributions) for the benchmark; another k only to see what the full answers cost. */
    private static int topK;

    private TokenScoring() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5 || !(args[0].equals("dump") || args[0].equals("time"))) {
            System.err.println("usage: TokenScoring dump|time TARGET MODEL ITEMS_JSONL OUT_JSON [CHUNK [TOP_K]]");
            System.exit(2);
        }
        String target = args[1];
        String model = args[2];
        List<ContinuationItem> items = readItems(Path.of(args[3]));
        Path out = Path.of(args[4]);
        int chunk = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        topK = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(256 * 1024 * 1024).build();
        try {
            ScoringServiceGrpc.ScoringServiceBlockingStub scoring = ScoringServiceGrpc.newBlockingStub(channel);
            if (args[0].equals("dump")) {
                dump(score(scoring, model, items, chunk), out);
            } else {
                time(scoring, model, items, chunk, out);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static List<ContinuationItem> readItems(Path path) throws IOException {
        List<ContinuationItem> items = new ArrayList<>();
        for (String line : Files.readAllLines(path)) {
            if (!line.isBlank()) {
                JsonNode item = JSON.readTree(line);
                items.add(ContinuationItem.newBuilder().setPrompt(item.get("prompt").asString())
                        .setContinuation(item.get("answer").asString()).build());
            }
        }
        return items;
    }

    private static List<ContinuationDistributions> score(ScoringServiceGrpc.ScoringServiceBlockingStub scoring, String model,
            List<ContinuationItem> items, int chunk) {
        List<ContinuationDistributions> results = new ArrayList<>(items.size());
        for (int start = 0; start < items.size(); start += chunk) {
            TokenDistributionsResponse answer = scoring.withDeadlineAfter(120, TimeUnit.SECONDS)
                    .tokenDistributions(TokenDistributionsRequest.newBuilder().setModel(model)
                            .addAllItems(items.subList(start, Math.min(items.size(), start + chunk))).setTopK(topK).build());
            results.addAll(answer.getResultsList());
        }
        return results;
    }

    private static void dump(List<ContinuationDistributions> results, Path out) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode items = root.putArray("items");
        for (int i = 0; i < results.size(); i++) {
            ContinuationDistributions result = results.get(i);
            ObjectNode item = items.addObject();
            item.put("prompt_token_count", result.getPromptTokenCount());
            ArrayNode ids = item.putArray("token_ids");
            result.getTokenIdsList().forEach(ids::add);
            ArrayNode logProbs = item.putArray("token_log_probs");
            result.getTokenLogProbsList().forEach(logProbs::add);
            ArrayNode entropies = item.putArray("entropies");
            ArrayNode probabilities = item.putArray("probabilities");
            for (NextTokenDistribution distribution : result.getDistributionsList()) {
                entropies.add(distribution.getEntropy());
                if (i < DUMPED_DISTRIBUTIONS) {
                    ArrayNode row = probabilities.addArray();
                    distribution.getProbabilitiesList().forEach(row::add);
                }
            }
        }
        JSON.writeValue(out.toFile(), root);
        System.out.println("dumped the service's answer for " + results.size() + " texts to " + out);
    }

    private static void time(ScoringServiceGrpc.ScoringServiceBlockingStub scoring, String model, List<ContinuationItem> items,
            int chunk, Path out) throws IOException {
        long tokens = 0;
        for (ContinuationDistributions result : score(scoring, model, items, chunk)) { // warm-up, and the token count
            tokens += result.getTokenIdsCount();
        }
        score(scoring, model, items, chunk);
        double best = 0;
        for (int pass = 0; pass < 3; pass++) {
            long start = System.nanoTime();
            score(scoring, model, items, chunk);
            best = Math.max(best, tokens / ((System.nanoTime() - start) / 1e9));
        }
        ObjectNode figures = Files.exists(out) ? (ObjectNode) JSON.readTree(out.toFile()) : JSON.createObjectNode();
        figures.put("service_tokens_per_s", best);
        figures.put("service_chunk", chunk);
        figures.put("service_top_k", topK);
        figures.put("service_answer_tokens", tokens);
        JSON.writeValue(out.toFile(), figures);
        System.out.printf("TokenDistributions over gRPC: %.1f answer tokens scored per second (%d texts, %d tokens, chunks of %d;"
                + " best of 3 passes)%n", best, items.size(), tokens, chunk);
    }
}
