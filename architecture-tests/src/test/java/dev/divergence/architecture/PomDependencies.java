package dev.divergence.architecture;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** Reads the declared dependencies of a module's pom (not the transitive ones). */
final class PomDependencies {

  private PomDependencies() {}

  /** artifactIds of dev.divergence dependencies, whatever their scope. */
  static List<String> ourArtifacts(Path pom) {
    List<String> artifacts = new ArrayList<>();
    for (Element dependency : dependencies(pom)) {
      if ("dev.divergence".equals(text(dependency, "groupId"))) {
        artifacts.add(text(dependency, "artifactId"));
      }
    }
    return artifacts;
  }

  /** groupId:artifactId of dependencies on the compile/runtime classpath. */
  static List<String> compileArtifacts(Path pom) {
    List<String> artifacts = new ArrayList<>();
    for (Element dependency : dependencies(pom)) {
      String scope = text(dependency, "scope");
      if (scope == null || scope.equals("compile") || scope.equals("runtime")) {
        artifacts.add(text(dependency, "groupId") + ":" + text(dependency, "artifactId"));
      }
    }
    return artifacts;
  }

  private static List<Element> dependencies(Path pom) {
    try {
      Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
      Element project = document.getDocumentElement();
      List<Element> result = new ArrayList<>();
      for (Element section : children(project, "dependencies")) {
        result.addAll(children(section, "dependency"));
      }
      return result;
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + pom, e);
    }
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> result = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node node = nodes.item(i);
      if (node instanceof Element element && element.getTagName().equals(name)) {
        result.add(element);
      }
    }
    return result;
  }

  private static String text(Element parent, String name) {
    List<Element> found = children(parent, name);
    return found.isEmpty() ? null : found.get(0).getTextContent().trim();
  }
}
