package dev.divergence.local.cli;

import dev.divergence.local.Component;
import dev.divergence.local.LocalPlatformConfig;
import dev.divergence.local.secrets.LocalSecrets;
import dev.divergence.local.state.PlatformState;
import dev.divergence.local.state.StateFile;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ./platform demo: submits example jobs through the gateway of a running platform, shows their
 * progress, and exits 0 once every job SUCCEEDED (1 if one failed or the demo timed out).
 */
final class DemoCommand {

    private static final Duration POLL = Duration.ofSeconds(2);
    private static final Duration REPORT_EVERY = Duration.ofSeconds(10);
    private static final Duration DEMO_TIMEOUT = Duration.ofMinutes(20);

    private final LocalPlatformConfig config;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();

    DemoCommand(LocalPlatformConfig config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    int run() {
        Optional<PlatformState> state = new StateFile(config.runDir()).read();
        if (state.isEmpty() || state.get().launcher().live().isEmpty()) {
            err.println("platform: the platform is not running; start it with ./platform up (in another terminal), then run ./platform demo.");
            return PlatformCli.FAILED;
        }
        String gateway = config.toBuilder().ports(state.get().ports()).build().httpUrl(Component.GATEWAY);
        try {
            return runJobs(gateway);
        } catch (IOException e) {
            err.println("platform: demo could not reach the gateway at " + gateway + ": " + e.getMessage());
            return PlatformCli.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PlatformCli.FAILED;
        }
    }

    private int runJobs(String gateway) throws IOException, InterruptedException {
        out.println("Submitting " + DemoJob.ALL.size() + " demo jobs through the gateway at " + gateway + ":");
        Map<String, DemoJob> jobs = new LinkedHashMap<>();
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (DemoJob job : DemoJob.ALL) {
            if (job.dataset() != null && !upload(gateway, job.dataset())) {
                return PlatformCli.FAILED;
            }
            String body = "{\"displayName\":\"demo: " + job.title() + "\",\"idempotencyKey\":\"demo-" + run + "-" + jobs.size()
                    + "\",\"spec\":" + job.spec() + "}";
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway + "/api/v1/training/jobs"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .header("X-Api-Key", LocalSecrets.bootstrapAdminKey(config.dataDir()))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                err.println("platform: the training service refused the demo job '" + job.title() + "' ("
                        + response.statusCode() + "): " + response.body());
                return PlatformCli.FAILED;
            }
            String id = json.readTree(response.body()).get("jobId").asString();
            jobs.put(id, job);
            out.println("  " + id.substring(0, 8) + "  " + job.title());
        }
        out.println("Waiting for them (built-in models are made on first use, which takes a little longer):");
        long start = System.nanoTime();
        long deadline = start + DEMO_TIMEOUT.toNanos();
        Map<String, String> finalStates = new LinkedHashMap<>();
        Map<String, Long> lastReport = new LinkedHashMap<>();
        Map<String, String> lastState = new LinkedHashMap<>();
        while (finalStates.size() < jobs.size() && System.nanoTime() < deadline) {
            for (String id : jobs.keySet()) {
                if (finalStates.containsKey(id)) {
                    continue;
                }
                JsonNode job = json.readTree(get(gateway + "/api/v1/training/jobs/" + id));
                String jobState = job.get("state").asString();
                boolean changed = !jobState.equals(lastState.put(id, jobState));
                boolean due = System.nanoTime() - lastReport.getOrDefault(id, 0L) > REPORT_EVERY.toNanos();
                if (changed || due) {
                    out.println("  " + id.substring(0, 8) + "  " + progressLine(job, gateway, id));
                    lastReport.put(id, System.nanoTime());
                }
                if (List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(jobState)) {
                    finalStates.put(id, jobState);
                    String detail = jobState.equals("SUCCEEDED") ? "model " + job.get("outputModel").asString()
                            : job.path("reason").asString("") + " " + job.path("message").asString("");
                    out.println(jobs.get(id).title() + ": " + jobState + " (" + detail.trim() + ")");
                }
            }
            Thread.sleep(POLL.toMillis());
        }
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        if (finalStates.size() < jobs.size()) {
            err.println("platform: demo timed out after " + seconds + " s; see ./platform logs training");
            return PlatformCli.FAILED;
        }
        boolean allSucceeded = finalStates.values().stream().allMatch("SUCCEEDED"::equals);
        out.println(allSucceeded ? "All demo jobs SUCCEEDED in " + seconds + " s." : "Some demo jobs did not succeed; see ./platform logs training");
        return allSucceeded ? PlatformCli.OK : PlatformCli.FAILED;
    }

    /** Uploads a demo job's dataset; one already there (409: an earlier demo uploaded it, datasets are immutable) is used as it is. */
    private boolean upload(String gateway, DemoJob.DemoDataset dataset) throws IOException, InterruptedException {
        URI uri = URI.create(gateway + "/api/v1/training/datasets?name=" + dataset.name() + "&kind=" + dataset.kind());
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-ndjson")
                .header("X-Api-Key", LocalSecrets.bootstrapAdminKey(config.dataDir()))
                .POST(HttpRequest.BodyPublishers.ofString(dataset.jsonl())).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 == 2 || response.statusCode() == 409) {
            return true;
        }
        err.println("platform: the training service refused the demo dataset '" + dataset.name() + "' (" + response.statusCode() + "): "
                + response.body());
        return false;
    }

    private String progressLine(JsonNode job, String gateway, String id) throws IOException, InterruptedException {
        JsonNode progress = job.get("progress");
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-9s step %d/%d (%.0f%%)", job.get("state").asString(),
                progress.get("step").asLong(), progress.get("totalSteps").asLong(), progress.get("percent").asDouble()));
        JsonNode eta = progress.get("etaSeconds");
        if (eta != null && !eta.isNull() && job.get("state").asString().equals("RUNNING")) {
            line.append(String.format(Locale.ROOT, ", eta %.0f s", eta.asDouble()));
        }
        JsonNode series = json.readTree(get(gateway + "/api/v1/training/jobs/" + id + "/metrics")).get("series");
        List<String> shown = new ArrayList<>();
        if (series != null) {
            for (var entry : series.properties()) {
                String name = entry.getKey();
                if (name.equals("loss") || name.startsWith("divergence/") || name.equals("rewards/accuracies")) {
                    JsonNode values = entry.getValue().get("values");
                    if (values != null && !values.isEmpty()) {
                        shown.add(String.format(Locale.ROOT, "%s=%.4f", name, values.get(values.size() - 1).asDouble()));
                    }
                }
            }
        }
        return shown.isEmpty() ? line.toString() : line + "  " + String.join(" ", shown);
    }

    private String get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("X-Api-Key", LocalSecrets.bootstrapAdminKey(config.dataDir())).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
