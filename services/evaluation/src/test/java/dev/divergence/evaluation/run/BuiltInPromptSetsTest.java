package dev.divergence.evaluation.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.inputs.BuiltInPromptSets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BuiltInPromptSetsTest {

  private static final Pattern SUM = Pattern.compile("(\\d+)([+-])(\\d+)=");

  private static int solve(String prompt) {
    Matcher m = SUM.matcher(prompt);
    assertThat(m.matches()).as(prompt).isTrue();
    int a = Integer.parseInt(m.group(1));
    int b = Integer.parseInt(m.group(3));
    return m.group(2).equals("+") ? a + b : a - b;
  }

  @Test
  void arithmeticAnswersAreCorrectAndTheSetIsReproducible() {
    List<PromptItem> items = BuiltInPromptSets.find("arithmetic").orElseThrow().generate(200, 7);
    assertThat(items).hasSize(200);
    for (PromptItem item : items) {
      assertThat(Integer.parseInt(item.answer())).isEqualTo(solve(item.prompt()));
    }
    assertThat(BuiltInPromptSets.find("arithmetic").orElseThrow().generate(200, 7)).isEqualTo(items);
  }

  @Test
  void conflictItemsStateAWrongResultWhoseFirstDigitDiffersFromTheTruth() {
    for (PromptItem item : BuiltInPromptSets.find("arithmetic-conflict").orElseThrow().generate(300, 3)) {
      int truth = solve(item.prompt());
      assertThat(item.priorAnswer()).isEqualTo(Integer.toString(truth));
      assertThat(item.context()).isEqualTo(item.prompt() + item.answer() + " ");
      assertThat(item.answer().charAt(0)).isNotEqualTo(item.priorAnswer().charAt(0));
    }
  }
}
