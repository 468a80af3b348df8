package dev.divergence.local.service;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Asks the inference service whether its built-in models serve requests yet
 * ({@code GET /api/v1/inference/built-in-models}). The service is ready before they are: on the first start
 * of a data folder they are trained first, and until then requests for them get 503 + Retry-After.
 */
public final class BuiltInModelsProbe {

    public static final String PATH = "/api/v1/inference/built-in-models";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** One built-in model: its serving state (PREPARING, LOADING, READY, FAILED, ...) and the service's message. */
    public record Model(String name, String state, boolean servable, String message) {
    }

    /** The answer: whether every built-in is servable, and each one's state. */
    public record Answer(boolean allServable, List<Model> models) {

        public List<Model> failed() {
            return models.stream().filter(m -> m.state().equals("FAILED")).toList();
        }

        public String summary() {
            List<String> parts = new ArrayList<>();
            for (Model m : models) {
                parts.add(m.name() + " " + m.state());
            }
            return String.join(", ", parts);
        }
    }

    private BuiltInModelsProbe() {
    }

    /** The service's answer, or empty when it does not answer (yet) or answers something else. */
    public static Optional<Answer> ask(String inferenceBaseUrl, Duration timeout) {
        return ask(inferenceBaseUrl, timeout, null);
    }

    /** As above, proving the launcher's identity with {@code identityToken} (the service verifies identities). */
    public static Optional<Answer> ask(String inferenceBaseUrl, Duration timeout, String identityToken) {
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(inferenceBaseUrl + PATH)).timeout(timeout).GET();
            if (identityToken != null) {
                builder.header(dev.divergence.local.secrets.LauncherIdentity.HEADER, identityToken);
            }
            HttpRequest request = builder.build();
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? parse(response.body()) : Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    static Optional<Answer> parse(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (!root.has("allServable") || !root.path("models").isArray()) {
                return Optional.empty();
            }
            List<Model> models = new ArrayList<>();
            for (JsonNode m : root.path("models")) {
                models.add(new Model(m.path("name").asString(""), m.path("state").asString("UNKNOWN"),
                        m.path("servable").asBoolean(false), m.path("message").isNull() ? "" : m.path("message").asString("")));
            }
            return Optional.of(new Answer(root.path("allServable").asBoolean(false), List.copyOf(models)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
