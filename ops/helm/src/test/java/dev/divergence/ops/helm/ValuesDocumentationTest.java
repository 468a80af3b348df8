package dev.divergence.ops.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every value of values.yaml is documented: a "# --" comment above it or above the object it is part
 * of, and a row of the chart README's table for each documented key.
 */
class ValuesDocumentationTest {

  private static final Pattern KEY = Pattern.compile("^(\\s*)([\\w.-]+):\\s*(.*)$");

  @Test
  void everyValueHasACommentAndAReadmeRow() throws IOException {
    List<String> lines = Files.readAllLines(Chart.DIR.resolve("values.yaml"));
    String readme = Files.readString(Chart.DIR.resolve("README.md"));
    Map<String, Boolean> documented = new LinkedHashMap<>();
    Map<String, Integer> indentOf = new LinkedHashMap<>();
    Deque<String> path = new ArrayDeque<>();
    Deque<Integer> indents = new ArrayDeque<>();
    boolean commentAbove = false;
    List<String> leaves = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.startsWith("#")) {
        commentAbove = commentAbove || trimmed.startsWith("# --");
        continue;
      }
      Matcher key = KEY.matcher(line);
      if (!key.matches()) {
        commentAbove = false; // a list item of a documented block
        continue;
      }
      int indent = key.group(1).length();
      while (!indents.isEmpty() && indents.peek() >= indent) {
        indents.pop();
        path.pop();
      }
      String parent = String.join(".", path.reversed());
      String name = parent.isEmpty() ? key.group(2) : parent + "." + key.group(2);
      indents.push(indent);
      path.push(key.group(2));
      boolean inherited = !parent.isEmpty() && documented.getOrDefault(parent, false);
      documented.put(name, commentAbove || inherited);
      indentOf.put(name, indent);
      if (commentAbove) {
        assertThat(readme).as("README.md has a row for " + name).contains("| `" + name + "` |");
      }
      boolean hasChildren = key.group(3).isEmpty() && i + 1 < lines.size() && nextKeyIndent(lines, i + 1) > indent;
      if (!hasChildren) {
        leaves.add(name);
      }
      commentAbove = false;
    }
    assertThat(leaves).as("values found").hasSizeGreaterThan(100);
    assertThat(leaves).as("values without a '# --' comment on them or on an enclosing object")
        .filteredOn(leaf -> !documented.get(leaf)).isEmpty();
  }

  private static int nextKeyIndent(List<String> lines, int from) {
    for (int j = from; j < lines.size(); j++) {
      String line = lines.get(j);
      if (!line.isBlank() && !line.strip().startsWith("#")) {
        return line.length() - line.stripLeading().length();
      }
    }
    return -1;
  }
}
