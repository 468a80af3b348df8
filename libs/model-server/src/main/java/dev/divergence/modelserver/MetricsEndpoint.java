package dev.divergence.modelserver;

import com.sun.net.httpserver.HttpServer;
import dev.divergence.proto.triton.ModelStatistics;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot.UnknownDataPointSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Prometheus exposition at {@code /metrics} (Triton's port 8002) with the names and labels
 * Triton's metrics carry, so dashboards and alerts written for Triton read the embedded server
 * too. Values come from the same counters as the ModelStatistics RPC; durations in microseconds.
 * Prometheus' Java client writes the text: format 0.0.4 by default, OpenMetrics when the scrape's
 * Accept header asks for it.
 *
 * <p>The families are exposed untyped ("unknown" in OpenMetrics): Triton's counters have no
 * {@code _total} suffix, and the Java client writes every counter as {@code <name>_total}. Keeping
 * the series names is what keeps Triton's dashboards working; PromQL's rate() and increase() do
 * not depend on the declared type.
 */
final class MetricsEndpoint implements AutoCloseable {

    private record Family(String name, String help, ToLongFunction<ModelStatistics> value) {
    }

    private static final List<Family> FAMILIES = List.of(
            new Family("nv_inference_request_success", "Number of successful inference requests, all batch sizes",
                    s -> s.getInferenceStats().getSuccess().getCount()),
            new Family("nv_inference_request_failure", "Number of failed inference requests, all batch sizes",
                    s -> s.getInferenceStats().getFail().getCount()),
            new Family("nv_inference_count", "Number of inferences performed (batch rows)", ModelStatistics::getInferenceCount),
            new Family("nv_inference_exec_count", "Number of model executions performed", ModelStatistics::getExecutionCount),
            new Family("nv_inference_request_duration_us", "Cumulative inference request duration in microseconds",
                    s -> micros(s.getInferenceStats().getSuccess().getNs() + s.getInferenceStats().getFail().getNs())),
            new Family("nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds",
                    s -> micros(s.getInferenceStats().getQueue().getNs())),
            new Family("nv_inference_compute_input_duration_us", "Cumulative compute input duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeInput().getNs())),
            new Family("nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeInfer().getNs())),
            new Family("nv_inference_compute_output_duration_us", "Cumulative inference compute output duration in microseconds",
                    s -> micros(s.getInferenceStats().getComputeOutput().getNs())));

    private static final ExpositionFormatWriter OPEN_METRICS = OpenMetricsTextFormatWriter.create();
    private static final ExpositionFormatWriter PROMETHEUS_TEXT = PrometheusTextFormatWriter.create();

    private final HttpServer http;

    MetricsEndpoint(ServedModels models, InetSocketAddress address) {
        try {
            this.http = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the metrics port " + address, e);
        }
        http.createContext("/metrics", exchange -> {
            String accept = exchange.getRequestHeaders().getFirst("Accept");
            ExpositionFormatWriter writer = OPEN_METRICS.accepts(accept) ? OPEN_METRICS : PROMETHEUS_TEXT;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            writer.write(body, snapshots(models));
            exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
            exchange.sendResponseHeaders(200, body.size());
            try (OutputStream out = exchange.getResponseBody()) {
                body.writeTo(out);
            }
        });
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    /** One family per Triton metric, one data point per ready model version. */
    static MetricSnapshots snapshots(ServedModels models) {
        List<ModelStatistics> stats = models.readyVersions("").stream()
                .map(v -> v.statistics().toProto(v.name(), Long.toString(v.version()))).toList();
        MetricSnapshots.Builder snapshots = MetricSnapshots.builder();
        for (Family family : FAMILIES) {
            UnknownSnapshot.Builder snapshot = UnknownSnapshot.builder().name(family.name()).help(family.help());
            for (ModelStatistics s : stats) {
                snapshot.dataPoint(UnknownDataPointSnapshot.builder().labels(Labels.of("model", s.getName(), "version", s.getVersion()))
                        .value(family.value().applyAsLong(s)).build());
            }
            snapshots.metricSnapshot(snapshot.build());
        }
        return snapshots.build();
    }

    private static long micros(long ns) {
        return ns / 1000;
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
