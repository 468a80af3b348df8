package dev.divergence.training.trainer.fdpg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What an f-DPG checkpoint keeps besides weights and optimiser ({@code fdpg_state.json}): the
 * windows of the rewards' and Z's moving averages (so a resumed job continues the same averages),
 * the fitted lambda of distributional constraints (not refitted on resume), and how often the
 * offline proposal was replaced (its weights, once replaced, are the checkpoint's {@code proposal/}).
 */
record FDpgState(double[] baseline, double[] partition, double[] lambda, int proposalReplacements) {

  static final String FILE = "fdpg_state.json";
  static final String PROPOSAL_DIR = "proposal";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  void write(Path dir) {
    ObjectNode node = JSON.createObjectNode();
    put(node.putArray("baseline"), baseline);
    put(node.putArray("partition"), partition);
    if (lambda != null) {
      put(node.putArray("lambda"), lambda);
    }
    node.put("proposal_replacements", proposalReplacements);
    try {
      // doubles as Jackson writes them: shortest repr that reads back to the same double
      Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(node));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static FDpgState read(Path dir) {
    try {
      JsonNode node = JSON.readTree(Files.readString(dir.resolve(FILE)));
      return new FDpgState(doubles(node.get("baseline")), doubles(node.get("partition")),
          node.has("lambda") ? doubles(node.get("lambda")) : null, node.get("proposal_replacements").asInt());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(FILE), e);
    }
  }

  private static void put(ArrayNode array, double[] values) {
    for (double v : values) {
      array.add(v);
    }
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }
}
