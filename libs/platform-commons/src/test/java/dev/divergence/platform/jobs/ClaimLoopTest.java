package dev.divergence.platform.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The claim loop on real threads against an in-memory queue. */
class ClaimLoopTest {

  private static final Duration HEARTBEAT = Duration.ofMillis(50);

  /** A queue in memory: jobs are latches the test opens; records who ran, cancelled and stopped what. */
  static final class InMemoryQueue implements JobQueue<UUID> {
    final ConcurrentLinkedQueue<UUID> queued = new ConcurrentLinkedQueue<>();
    final Set<UUID> cancelRequested = ConcurrentHashMap.newKeySet();
    final ConcurrentLinkedQueue<UUID> lost = new ConcurrentLinkedQueue<>();
    final List<String> ranOn = Collections.synchronizedList(new ArrayList<>());
    final List<UUID> finished = Collections.synchronizedList(new ArrayList<>());
    final List<UUID> cancelled = Collections.synchronizedList(new ArrayList<>());
    final List<UUID> handedBack = Collections.synchronizedList(new ArrayList<>());
    final Set<String> heartbeatWorkers = ConcurrentHashMap.newKeySet();
    final AtomicInteger failingClaims = new AtomicInteger();
    volatile CountDownLatch release = new CountDownLatch(0);
    volatile CountDownLatch started = new CountDownLatch(0);

    @Override
    public Optional<UUID> claimNext(String workerId) {
      if (failingClaims.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IllegalStateException("database away");
      }
      return Optional.ofNullable(queued.poll());
    }

    @Override
    public UUID id(UUID job) {
      return job;
    }

    @Override
    public RunningJob execution(UUID job) {
      CountDownLatch stop = new CountDownLatch(1);
      return RunningJob.of(() -> {
        ranOn.add(Thread.currentThread().getName());
        started.countDown();
        try {
          // ends when the test releases it, or when it is cancelled or handed back
          while (!release.await(10, TimeUnit.MILLISECONDS)) {
            if (stop.getCount() == 0) {
              return;
            }
          }
          finished.add(job);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, () -> {
        cancelled.add(job);
        stop.countDown();
      }, () -> {
        handedBack.add(job);
        queued.add(job);
        stop.countDown();
      });
    }

    @Override
    public Collection<UUID> heartbeat(String workerId, List<UUID> held) {
      heartbeatWorkers.add(workerId);
      return held.stream().filter(cancelRequested::contains).toList();
    }

    @Override
    public Collection<UUID> requeueLost() {
      List<UUID> requeued = new ArrayList<>();
      for (UUID id; (id = lost.poll()) != null; ) {
        queued.add(id);
        requeued.add(id);
      }
      return requeued;
    }
  }

  private final InMemoryQueue queue = new InMemoryQueue();
  private ClaimLoop<UUID> loop;

  private ClaimLoop<UUID> start(int workers) {
    loop = new ClaimLoop<>(new ClaimLoop.Settings("test job", "test-jobs", workers, HEARTBEAT), queue);
    loop.start();
    return loop;
  }

  @AfterEach
  void stop() {
    if (loop != null) {
      loop.stop();
    }
  }

  @Test
  void everyQueuedJobRunsExactlyOnceOnTheNamedWorkers() throws Exception {
    List<UUID> jobs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      jobs.add(UUID.randomUUID());
    }
    queue.queued.addAll(jobs);
    start(3);
    loop.now();

    awaitUntil(() -> queue.finished.size() == jobs.size(), Duration.ofSeconds(20));

    assertThat(queue.finished).containsExactlyInAnyOrderElementsOf(jobs);
    assertThat(queue.ranOn).allSatisfy(name -> assertThat(name).matches("test-jobs-worker-[0-2]"));
    assertThat(loop.running()).isEmpty();
  }

  @Test
  void aJobQueuedAfterStartRunsOnceTheWorkersAreWoken() throws Exception {
    start(2);
    UUID job = UUID.randomUUID();
    queue.queued.add(job);
    loop.now();

    awaitUntil(() -> queue.finished.contains(job), Duration.ofSeconds(10));
  }

  @Test
  void aCancellationLearnedFromTheHeartbeatReachesTheRunningJob() throws Exception {
    queue.release = new CountDownLatch(1);
    queue.started = new CountDownLatch(1);
    UUID job = UUID.randomUUID();
    queue.queued.add(job);
    start(1);
    loop.now();
    assertThat(queue.started.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(loop.running()).containsExactly(job);

    queue.cancelRequested.add(job);

    awaitUntil(() -> queue.cancelled.contains(job), Duration.ofSeconds(10));
    awaitUntil(() -> loop.running().isEmpty(), Duration.ofSeconds(10));
    assertThat(queue.finished).isEmpty();
    assertThat(queue.heartbeatWorkers).containsExactly(loop.workerId());
  }

  @Test
  void stoppingHandsTheRunningJobsBackAndEndsTheWorkers() throws Exception {
    queue.release = new CountDownLatch(1);
    queue.started = new CountDownLatch(2);
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    queue.queued.addAll(List.of(first, second));
    start(2);
    loop.now();
    assertThat(queue.started.await(10, TimeUnit.SECONDS)).isTrue();

    loop.stop();

    assertThat(loop.isRunning()).isFalse();
    assertThat(queue.handedBack).containsExactlyInAnyOrder(first, second);
    assertThat(queue.queued).containsExactlyInAnyOrder(first, second);
    assertThat(queue.finished).isEmpty();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("test-jobs-worker-"));
  }

  @Test
  void aLostJobIsQueuedAgainAndRun() throws Exception {
    start(1);
    UUID job = UUID.randomUUID();
    queue.lost.add(job);

    awaitUntil(() -> queue.finished.contains(job), Duration.ofSeconds(10));
  }

  @Test
  void aFailingClaimIsRetried() throws Exception {
    queue.failingClaims.set(1);
    UUID job = UUID.randomUUID();
    queue.queued.add(job);
    start(1);

    awaitUntil(() -> queue.finished.contains(job), ClaimLoop.CLAIM_RETRY.plusSeconds(10));
    assertThat(queue.failingClaims.get()).isZero();
  }

  @Test
  void settingsRejectNonsense() {
    assertThatThrownBy(() -> new ClaimLoop.Settings("x", "x", -1, HEARTBEAT))
        .hasMessageContaining("workers");
    assertThatThrownBy(() -> new ClaimLoop.Settings("x", "x", 1, Duration.ZERO))
        .hasMessageContaining("heartbeatInterval");
  }

  static void awaitUntil(BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + limit);
      }
      Thread.sleep(10);
    }
  }
}
