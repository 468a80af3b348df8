package dev.divergence.training.run;

import dev.divergence.training.job.Algorithm;
import dev.divergence.training.trainer.Trainer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/** The trainer of each algorithm, from the Trainer beans. */
@Component
public class TrainerRegistry {

  private final Map<Algorithm, Trainer> trainers = new EnumMap<>(Algorithm.class);

  public TrainerRegistry(List<Trainer> beans) {
    for (Trainer trainer : beans) {
      if (trainers.put(trainer.algorithm(), trainer) != null) {
        throw new IllegalStateException("two trainers for " + trainer.algorithm());
      }
    }
  }

  public Optional<Trainer> forAlgorithm(Algorithm algorithm) {
    return Optional.ofNullable(trainers.get(algorithm));
  }
}
