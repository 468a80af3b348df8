package dev.divergence.training.api;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobService;
import dev.divergence.training.store.JobRepository;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Streams a job's changes to watchers (SSE and gRPC). It reads the job from the database, so a
 * watcher sees progress whichever replica or worker runs the job.
 */
@Component
public class JobWatcher implements DisposableBean {

  static final Duration POLL = Duration.ofMillis(500);
  private static final long SSE_TIMEOUT_MS = Duration.ofHours(6).toMillis();

  private final JobRepository jobs;
  private final JobService service;
  private final ScheduledExecutorService poller = Executors.newScheduledThreadPool(1, r -> {
    Thread thread = new Thread(r, "job-watcher");
    thread.setDaemon(true);
    return thread;
  });

  public JobWatcher(JobRepository jobs, JobService service) {
    this.jobs = jobs;
    this.service = service;
  }

  /** A change of a job: the job, and its latest metrics when a step was reported. */
  public record Update(Job job, Map<String, Double> latestMetrics) {}

  /**
   * Calls {@code onUpdate} with the job now and after every change, and {@code onEnd} once it is
   * terminal. Returns a handle that stops watching.
   */
  public Runnable watch(UUID jobId, Consumer<Update> onUpdate, Runnable onEnd, Consumer<Throwable> onError) {
    // Each round schedules the next one. A task that cancelled its own periodic future could run before
    // the future was assigned (a job already ended is seen at once), fail on it, and end silently,
    // leaving the watcher without its end.
    AtomicBoolean stopped = new AtomicBoolean();
    Instant[] seen = {null};
    Runnable[] round = new Runnable[1];
    round[0] = () -> {
      if (stopped.get()) {
        return;
      }
      try {
        Job job = jobs.find(jobId).orElseThrow();
        if (!Objects.equals(seen[0], job.updatedAt())) {
          seen[0] = job.updatedAt();
          onUpdate.accept(new Update(job, service.latestMetrics(jobId)));
        }
        if (job.isTerminal()) {
          stopped.set(true);
          onEnd.run();
          return;
        }
        poller.schedule(round[0], POLL.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) {
        stopped.set(true);
        onError.accept(e);
      }
    };
    poller.execute(round[0]);
    return () -> stopped.set(true);
  }

  SseEmitter sse(UUID jobId) {
    SseEmitter emitter = new SseEmitter(SSE_TIMEOUT_MS);
    Runnable stop = watch(jobId, update -> {
      try {
        emitter.send(SseEmitter.event().name("job").id(update.job().updatedAt().toString())
            .data(new JobEvent(JobResponse.of(update.job()), update.latestMetrics())));
      } catch (IOException e) {
        throw new IllegalStateException("watcher went away", e);
      }
    }, emitter::complete, emitter::completeWithError);
    emitter.onCompletion(stop);
    emitter.onTimeout(stop);
    emitter.onError(e -> stop.run());
    return emitter;
  }

  @Override
  public void destroy() {
    poller.shutdownNow();
  }

  public record JobEvent(JobResponse job, Map<String, Double> latestMetrics) {}
}
