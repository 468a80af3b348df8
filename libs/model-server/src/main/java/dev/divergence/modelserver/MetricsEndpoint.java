package dev.divergence.modelserver;

import com.sun.net.httpserver.HttpServer;
import dev.divergence.proto.triton.ModelStatistics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Prometheus text exposition at {@code /metrics} (Triton's port 8002) with the names and labels
 * Triton's metrics carry, so dashboards and alerts written for Triton read the embedded server
 * too. Values come from the same counters as the ModelStatistics RPC; durations in microseconds.
 */
final class MetricsEndpoint implements AutoCloseable {

    private record Metric(String name, String help, ToLongFunction<ModelStatistics> value) {
    }

    private static final List<Metric> METRICS = List.of(
            new Metric("nv_inference_request_success", "Number of successful inference requests, all batch sizes",
                    s -> s.getInferenceStats().getSuccess().getCount()),
            new Metric("nv_inference_request_failure", "Number of failed inference requests, all batch sizes",
                    s -> s.getInferenceStats().getFail().getCount()),
            new Metric("nv_inference_count", "Number of inferences performed (batch rows)", ModelStatistics::getInferenceCount),
            new Metric("nv_inference_exec_count", "Number of model executions performed", ModelStatistics::getExecutionCount),
            new Metric("nv_inference_request_duration_us", "Cumulative inference request duration in microseconds",
                    s -> micros(s.getInferenceStats().getSuccess().getNs() + s.getInferenceStats().getFail().getNs())),
            new Metric("nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
                    s -> micros(s.getInferenceStats().getQueue().getNs())),
            new Metric("nv_inference_compute_input_duration_us", "Cumulative compute input duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeInput().getNs())),
            new Metric("nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeInfer().getNs())),
            new Metric("nv_inference_compute_output_duration_us", "Cumulative inference compute output duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeOutput().getNs())));

    private final HttpServer http;

    MetricsEndpoint(ServedModels models, InetSocketAddress address) {
        try {
            this.http = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the metrics port " + address, e);
        }
        http.createContext("/metrics", exchange -> {
            byte[] body = render(models).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    static String render(ServedModels models) {
        List<ModelStatistics> stats = models.readyVersions("").stream()
                .map(v -> v.statistics().toProto(v.name(), Long.toString(v.version()))).toList();
        StringBuilder text = new StringBuilder();
        for (Metric metric : METRICS) {
            text.append("# HELP ").append(metric.name()).append(' ').append(metric.help()).append('\n');
            text.append("# TYPE ").append(metric.name()).append(" counter\n");
            for (ModelStatistics s : stats) {
                text.append(metric.name()).append("{model=\"").append(escape(s.getName())).append("\",version=\"")
                        .append(escape(s.getVersion())).append("\"} ").append(metric.value().applyAsLong(s)).append('\n');
            }
        }
        return text.toString();
    }

    private static long micros(long ns) {
        return ns / 1000;
    }

    private static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
