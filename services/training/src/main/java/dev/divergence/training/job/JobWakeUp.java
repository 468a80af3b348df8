package dev.divergence.training.job;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Tells the runner that a job became QUEUED, once the transaction that queued it has committed,
 * so a local worker starts it at once instead of at its next poll.
 */
public interface JobWakeUp {

  void now();

  default void afterCommit() {
    if (TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void afterCommit() {
          now();
        }
      });
    } else {
      now();
    }
  }
}
