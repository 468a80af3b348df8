package dev.divergence.platform.jobs;

import static dev.divergence.platform.jobs.ClaimLoopTest.awaitUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** The polling watcher on its real scheduler against a job held in memory. */
class PollingWatcherTest {

  private static final Duration POLL = Duration.ofMillis(20);

  /** A job as a store would return it: {@code version} changes with every write. */
  record Job(int version, int progress, boolean done) {}

  private final AtomicReference<Job> stored = new AtomicReference<>(new Job(1, 0, false));
  private final AtomicInteger lookups = new AtomicInteger();
  private final PollingWatcher<Job> watcher =
      new PollingWatcher<>("test-watcher", POLL, Duration.ofMillis(50), Job::version, Job::done);
  private final List<Object> seen = Collections.synchronizedList(new ArrayList<>());

  private Optional<Job> lookup() {
    lookups.incrementAndGet();
    return Optional.ofNullable(stored.get());
  }

  @AfterEach
  void close() {
    watcher.close();
  }

  @Test
  void reportsTheJobOncePerChangeAndEndsWhenItHasEnded() throws Exception {
    watcher.watch(this::lookup, seen::add, () -> seen.add("end"), seen::add);
    awaitUntil(() -> seen.size() == 1, Duration.ofSeconds(5));

    // a re-read with the same change key is not a change
    int before = lookups.get();
    awaitUntil(() -> lookups.get() >= before + 3, Duration.ofSeconds(5));
    assertThat(seen).containsExactly(new Job(1, 0, false));

    stored.set(new Job(2, 50, false));
    awaitUntil(() -> seen.size() == 2, Duration.ofSeconds(5));
    stored.set(new Job(3, 100, true));
    awaitUntil(() -> seen.contains("end"), Duration.ofSeconds(5));

    // nothing after the end, however the job changes
    int afterEnd = lookups.get();
    stored.set(new Job(4, 100, true));
    Thread.sleep(POLL.toMillis() * 5);
    assertThat(lookups.get()).isEqualTo(afterEnd);
    assertThat(seen).containsExactly(new Job(1, 0, false), new Job(2, 50, false), new Job(3, 100, true), "end");
  }

  @Test
  void aJobThatIsGoneEndsTheWatchWithAnError() throws Exception {
    watcher.watch(this::lookup, seen::add, () -> seen.add("end"), seen::add);
    awaitUntil(() -> seen.size() == 1, Duration.ofSeconds(5));

    stored.set(null);

    awaitUntil(() -> seen.size() == 2, Duration.ofSeconds(5));
    assertThat(seen.get(1)).isInstanceOf(NoSuchElementException.class);
    Thread.sleep(POLL.toMillis() * 5);
    assertThat(seen).hasSize(2);
  }

  @Test
  void aFailingUpdateEndsTheWatchWithItsError() throws Exception {
    IllegalStateException wentAway = new IllegalStateException("watcher went away");
    watcher.watch(this::lookup, job -> {
      throw wentAway;
    }, () -> seen.add("end"), seen::add);

    awaitUntil(() -> !seen.isEmpty(), Duration.ofSeconds(5));
    stored.set(new Job(2, 100, true));
    Thread.sleep(POLL.toMillis() * 5);
    assertThat(seen).containsExactly(wentAway);
  }

  @Test
  void stoppingTheWatchStopsTheUpdates() throws Exception {
    Runnable stop = watcher.watch(this::lookup, seen::add, () -> seen.add("end"), seen::add);
    awaitUntil(() -> seen.size() == 1, Duration.ofSeconds(5));

    stop.run();
    int afterStop = lookups.get();
    stored.set(new Job(2, 100, true));
    Thread.sleep(POLL.toMillis() * 5);

    // at most a poll that had already begun when stop ran
    assertThat(lookups.get()).isLessThanOrEqualTo(afterStop + 1);
    assertThat(seen).containsExactly(new Job(1, 0, false));
  }

  @RestController
  class WatchController {
    @GetMapping("/watch")
    SseEmitter watch() {
      return watcher.sse(PollingWatcherTest.this::lookup, job -> SseEmitter.event().name("job")
          .id(Integer.toString(job.version())).data(Map.of("progress", job.progress())));
    }
  }

  @Test
  void sseSendsAnEventPerChangeKeepsAQuietStreamAliveAndCompletesAtTheEnd() throws Exception {
    MockMvc mvc = MockMvcBuilders.standaloneSetup(new WatchController()).build();
    MvcResult result = mvc.perform(get("/watch")).andExpect(request().asyncStarted()).andReturn();

    awaitUntil(() -> content(result).contains(":keep-alive"), Duration.ofSeconds(5));
    stored.set(new Job(2, 100, true));
    awaitUntil(() -> content(result).contains("id:2"), Duration.ofSeconds(5));
    // the emitter completing sets the request's async result; this throws if it never comes
    result.getAsyncResult(5_000);

    String body = content(result);
    assertThat(body).contains("event:job\nid:1\ndata:{\"progress\":0}");
    assertThat(body).contains("event:job\nid:2\ndata:{\"progress\":100}");
    assertThat(body.indexOf("id:1")).isLessThan(body.indexOf("id:2"));
  }

  private static String content(MvcResult result) {
    try {
      return result.getResponse().getContentAsString();
    } catch (java.io.UnsupportedEncodingException e) {
      throw new IllegalStateException(e);
    }
  }
}
