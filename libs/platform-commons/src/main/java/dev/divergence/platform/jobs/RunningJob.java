package dev.divergence.platform.jobs;

/** A claimed job's execution as a {@link ClaimLoop} drives it. */
public interface RunningJob {

  /** Runs the job to its end on the calling worker thread; records its outcome itself. */
  void run();

  /** A user cancelled the job (learned from a heartbeat): stop soon and record it as cancelled. */
  void requestCancel();

  /** This process is stopping: stop soon and hand the job back to the queue. */
  void workerStopping();

  /** Adapts an execution whose methods are not public to this interface. */
  static RunningJob of(Runnable run, Runnable requestCancel, Runnable workerStopping) {
    return new RunningJob() {
      @Override
      public void run() {
        run.run();
      }

      @Override
      public void requestCancel() {
        requestCancel.run();
      }

      @Override
      public void workerStopping() {
        workerStopping.run();
      }
    };
  }
}
