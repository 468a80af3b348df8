package dev.divergence.platform.jobs;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a {@link ClaimLoop} needs from a service's queue of jobs (usually rows in its database, so
 * that replicas share the queue).
 *
 * @param <T> the service's job record
 */
public interface JobQueue<T> {

  /** Claims the next queued job for {@code workerId}, or nothing when the queue is empty. */
  Optional<T> claimNext(String workerId);

  /** The job's id, the key heartbeats and cancellations use. */
  UUID id(T job);

  /** Prepares the claimed job's execution; the loop runs it on the claiming worker thread. */
  RunningJob execution(T job);

  /** Records that {@code workerId} still holds {@code held}; answers the ids among them to cancel. */
  Collection<UUID> heartbeat(String workerId, List<UUID> held);

  /** Queues again the jobs of workers that stopped heartbeating; answers their ids. */
  Collection<UUID> requeueLost();

  /** A queue from its five functions, for services whose job store already has them. */
  static <T> JobQueue<T> of(Function<String, Optional<T>> claimNext, Function<T, UUID> id,
      Function<T, RunningJob> execution, BiFunction<String, List<UUID>, ? extends Collection<UUID>> heartbeat,
      Supplier<? extends Collection<UUID>> requeueLost) {
    return new JobQueue<>() {
      @Override
      public Optional<T> claimNext(String workerId) {
        return claimNext.apply(workerId);
      }

      @Override
      public UUID id(T job) {
        return id.apply(job);
      }

      @Override
      public RunningJob execution(T job) {
        return execution.apply(job);
      }

      @Override
      public Collection<UUID> heartbeat(String workerId, List<UUID> held) {
        return heartbeat.apply(workerId, held);
      }

      @Override
      public Collection<UUID> requeueLost() {
        return requeueLost.get();
      }
    };
  }
}
