package dev.divergence.training.trainer.rlvr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * DPH-RL's rehearsal set ({@code rehearsal_set.json}), built once when a job with rehearsal starts
 * and kept in the job folder and in every checkpoint, so that a resumed job neither samples the
 * reference again nor needs it: per prompt the reference solved every time, the prompt's tokens,
 * one correct response (its end token included when it ended) and the reference's log-probability
 * of each response token. {@code scanned} is how many prompts of the training schedule the
 * reference was asked.
 */
record RlvrState(int scanned, List<Entry> rehearsal) {

  static final String FILE = "rehearsal_set.json";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One rehearsal prompt: its index in the schedule's prompt order, its tokens, the response and its reference log-probs. */
  record Entry(int promptIndex, long[] prompt, long[] response, float[] referenceLogProbs) {}

  void write(Path dir) {
    ObjectNode node = JSON.createObjectNode();
    node.put("scanned", scanned);
    ArrayNode entries = node.putArray("rehearsal");
    for (Entry e : rehearsal) {
      ObjectNode entry = entries.addObject();
      entry.put("prompt_index", e.promptIndex());
      ArrayNode prompt = entry.putArray("prompt");
      for (long t : e.prompt()) {
        prompt.add(t);
      }
      ArrayNode response = entry.putArray("response");
      for (long t : e.response()) {
        response.add(t);
      }
      ArrayNode logProbs = entry.putArray("reference_log_probs");
      for (float p : e.referenceLogProbs()) {
        logProbs.add(p); // a float written in its shortest form reads back to the same float
      }
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean existsIn(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE));
  }

  static RlvrState read(Path dir) {
    try {
      JsonNode node = JSON.readTree(Files.readString(dir.resolve(FILE)));
      List<Entry> entries = new ArrayList<>();
      for (JsonNode e : node.get("rehearsal")) {
        JsonNode p = e.get("prompt");
        JsonNode r = e.get("response");
        JsonNode l = e.get("reference_log_probs");
        long[] prompt = new long[p.size()];
        for (int i = 0; i < prompt.length; i++) {
          prompt[i] = p.get(i).asLong();
        }
        long[] response = new long[r.size()];
        for (int i = 0; i < response.length; i++) {
          response[i] = r.get(i).asLong();
        }
        float[] logProbs = new float[l.size()];
        for (int i = 0; i < logProbs.length; i++) {
          logProbs[i] = (float) l.get(i).asDouble();
        }
        entries.add(new Entry(e.get("prompt_index").asInt(), prompt, response, logProbs));
      }
      return new RlvrState(node.get("scanned").asInt(), entries);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(FILE), e);
    }
  }
}
