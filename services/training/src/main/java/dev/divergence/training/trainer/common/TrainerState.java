package dev.divergence.training.trainer.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a checkpoint records besides weights and optimiser moments ({@code trainer_state.json}).
 * Randomness (data order, on-policy draws, sampling) is a pure function of (seed, step) — see
 * {@link StepRandom} — so the seed and the step are the complete RNG state, and
 * {@code samplesSeen} is the data position.
 *
 * @param step optimiser steps completed (also the scheduler's position)
 * @param seed the job's seed
 * @param samplesSeen training examples consumed so far
 */
public record TrainerState(long step, long seed, long samplesSeen) {

  static final String FILE = "trainer_state.json";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  public void write(Path dir) {
    String json = "{\n  \"global_step\": " + step + ",\n  \"scheduler_step\": " + step + ",\n  \"seed\": " + seed
        + ",\n  \"rng\": \"derived from (seed, step)\",\n  \"samples_seen\": " + samplesSeen + "\n}\n";
    try {
      Files.writeString(dir.resolve(FILE), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TrainerState read(Path dir) {
    try {
      JsonNode node = JSON.readTree(Files.readString(dir.resolve(FILE)));
      return new TrainerState(node.get("global_step").asLong(), node.get("seed").asLong(), node.get("samples_seen").asLong());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(FILE), e);
    }
  }
}
