package dev.divergence.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class JsonLinesTest {

  @Test
  void valuesThatNeedEscapingReadBackUnchangedOneRecordPerLine() {
    String awkward = "say \"hi\"\\ then\nnew line\ttab \u0000 nul é";
    String jsonl = JsonLines.of(List.of(JsonLines.record("prompt", awkward, "chosen", "4"), JsonLines.record("text", "2+2=4")));

    String[] lines = jsonl.split("\n", -1);
    assertThat(lines).hasSize(3);
    assertThat(lines[2]).isEmpty();
    JsonMapper json = JsonMapper.builder().build();
    JsonNode first = json.readTree(lines[0]);
    assertThat(first.get("prompt").asString()).isEqualTo(awkward);
    assertThat(first.get("chosen").asString()).isEqualTo("4");
    assertThat(lines[0]).startsWith("{\"prompt\":");
    assertThat(json.readTree(lines[1]).get("text").asString()).isEqualTo("2+2=4");
  }

  @Test
  void recordKeepsTheOrderOfItsFields() {
    Map<String, Object> record = JsonLines.record("prompt", "p", "chosen", "c", "rejected", "r");
    assertThat(record.keySet()).containsExactly("prompt", "chosen", "rejected");
  }
}
