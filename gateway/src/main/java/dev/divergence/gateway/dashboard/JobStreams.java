package dev.divergence.gateway.dashboard;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.concurrent.DelegatingSecurityContextRunnable;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job page's live feed. It follows the training service's event stream of the job and, on every
 * change, reads the job's metric history and sends the points the page does not have yet: the chart
 * grows as the job logs steps and holds every point when the job ends.
 */
@Component
class JobStreams {

  private static final Logger log = LoggerFactory.getLogger(JobStreams.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration LONGEST = Duration.ofHours(12);

  private final ServiceClient services;

  JobStreams(ServiceClient services) {
    this.services = services;
  }

  SseEmitter open(String jobId) {
    SseEmitter emitter = new SseEmitter(LONGEST.toMillis());
    // the pump calls the services as the signed-in user, on its own thread
    Thread.ofVirtual().name("dashboard-job-stream").start(new DelegatingSecurityContextRunnable(() -> pump(jobId, emitter)));
    return emitter;
  }

  private void pump(String jobId, SseEmitter emitter) {
    String path = "/api/v1/training/jobs/" + JobPagesController.encode(jobId);
    Map<String, Long> sent = new HashMap<>();
    try {
      ServiceClient.Answer job = services.get("training", path);
      if (!job.ok()) {
        emitter.send(SseEmitter.event().name("problem").data(Problems.detail(job)));
        emitter.complete();
        return;
      }
      if (sendUpdate(path, job.body(), emitter, sent)) {
        emitter.complete();
        return;
      }
      try (InputStream events = services.stream("training", path + "/events");
           BufferedReader lines = new BufferedReader(new InputStreamReader(events, StandardCharsets.UTF_8))) {
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("data:")) {
            data.append(line.substring(5).strip());
          } else if (line.isEmpty() && !data.isEmpty()) {
            JsonNode update = JSON.readTree(data.toString());
            data.setLength(0);
            if (sendUpdate(path, update, emitter, sent)) {
              break;
            }
          }
        }
      }
      // whatever was logged between the last event and the end of the stream
      sendUpdate(path, services.get("training", path).body(), emitter, sent);
      emitter.complete();
    } catch (IOException | IllegalStateException gone) {
      // the page was closed or the stream ended; nothing to tell anyone
      log.debug("job stream of {} ended: {}", jobId, gone.toString());
      emitter.complete();
    } catch (RuntimeException e) {
      log.warn("job stream of {} failed: {}", jobId, e.toString());
      emitter.completeWithError(e);
    }
  }

  /** Sends the job's state and its new metric points; true once the job has finished. */
  private boolean sendUpdate(String path, JsonNode job, SseEmitter emitter, Map<String, Long> sent) throws IOException {
    JobView view = JobView.of(job);
    ObjectNode state = JSON.createObjectNode();
    state.put("state", view.state());
    state.put("attempt", view.attempt());
    state.put("step", view.step());
    state.put("totalSteps", view.totalSteps());
    state.put("percent", view.percent());
    state.put("eta", view.eta());
    state.put("outputModel", view.outputModel());
    emitter.send(SseEmitter.event().name("job").data(state.toString()));
    ServiceClient.Answer metrics = services.get("training", path + "/metrics");
    ObjectNode fresh = JSON.createObjectNode();
    metrics.body().path("series").properties().forEach(entry -> {
      long after = sent.getOrDefault(entry.getKey(), Long.MIN_VALUE);
      JsonNode steps = entry.getValue().path("steps");
      JsonNode values = entry.getValue().path("values");
      ObjectNode series = JSON.createObjectNode();
      var newSteps = series.putArray("steps");
      var newValues = series.putArray("values");
      for (int i = 0; i < steps.size(); i++) {
        if (steps.get(i).asLong() > after) {
          newSteps.add(steps.get(i).asLong());
          newValues.add(values.get(i).asDouble());
          sent.put(entry.getKey(), steps.get(i).asLong());
        }
      }
      if (!newSteps.isEmpty()) {
        fresh.set(entry.getKey(), series);
      }
    });
    if (!fresh.isEmpty()) {
      emitter.send(SseEmitter.event().name("points").data(fresh.toString()));
    }
    return view.finished();
  }
}
