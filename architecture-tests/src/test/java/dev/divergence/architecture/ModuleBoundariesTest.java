package dev.divergence.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Dependencies point one way: services → libs → nothing of ours; no service uses another
 * service's code; libs/divergence uses no framework. Checked on the compiled classes (ArchUnit)
 * and on the declared Maven dependencies, so neither code nor build can cross a boundary.
 */
class ModuleBoundariesTest {

  private static JavaClasses importModule(String module) {
    return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPath(Reactor.classes(module));
  }

  @TestFactory
  Stream<DynamicTest> noServiceUsesAnotherServicesCode() {
    return Reactor.SERVICES.stream().map(service -> DynamicTest.dynamicTest(service, () -> {
      JavaClasses classes = importModule(service);
      assertThat(classes).as("classes of " + service).isNotEmpty();
      String[] others = Reactor.SERVICES.stream().filter(other -> !other.equals(service))
          .map(other -> Reactor.packageOf(other) + "..").toArray(String[]::new);
      noClasses().should().dependOnClassesThat().resideInAnyPackage(others)
          .because("services share only shared-proto and libs/*").check(classes);
    }));
  }

  @TestFactory
  Stream<DynamicTest> libsDoNotDependOnServices() {
    String[] services = Reactor.SERVICES.stream().map(s -> Reactor.packageOf(s) + "..").toArray(String[]::new);
    return Reactor.LIBS.stream().map(lib -> DynamicTest.dynamicTest(lib, () ->
        noClasses().should().dependOnClassesThat().resideInAnyPackage(services)
            .because("dependencies point from services to libs, never back").check(importModule(lib))));
  }

  @Test
  void divergenceLibraryUsesNoFramework() {
    JavaClasses math = importModule("libs/divergence");
    assertThat(math).isNotEmpty();
    noClasses().should().dependOnClassesThat().resideOutsideOfPackages(
            "java..", "jdk.incubator.vector..", "dev.divergence.math..", "org.ejml..",
            "org.apache.commons.statistics.distribution..")
        .because("libs/divergence is pure Java (the optional Vector API; EJML for eigenvalues, Commons Statistics"
            + " for Student-t quantiles), usable from any runtime")
        .check(math);
  }

  @Test
  void modelLibraryUsesNoSpringAndNoOtherLibButDivergence() {
    noClasses().should().dependOnClassesThat()
        .resideInAnyPackage("org.springframework..", "dev.divergence.platform..", "io.grpc..")
        .because("libs/model is a library: trainers, the model server and merging embed it").check(importModule("libs/model"));
  }

  @Test
  void evaluationLoadsNoModelItself() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.divergence.model..", "ai.djl..")
        .because("evaluation gets every model output from the inference service (ARCHITECTURE: between services)")
        .check(importModule("services/evaluation"));
  }

  @Test
  void declaredDependenciesRespectTheBoundaries() {
    List<String> violations = new ArrayList<>();
    for (String service : Reactor.SERVICES) {
      for (String dependency : PomDependencies.ourArtifacts(Reactor.pom(service))) {
        if (Reactor.SERVICES.stream().anyMatch(other -> artifactOf(other).equals(dependency))) {
          violations.add(service + " depends on service " + dependency);
        }
      }
    }
    for (String lib : Reactor.LIBS) {
      for (String dependency : PomDependencies.ourArtifacts(Reactor.pom(lib))) {
        if (Reactor.SERVICES.stream().anyMatch(service -> artifactOf(service).equals(dependency))) {
          violations.add(lib + " depends on service " + dependency);
        }
      }
    }
    if (PomDependencies.ourArtifacts(Reactor.pom("services/evaluation")).contains("model")) {
      violations.add("services/evaluation depends on libs/model: it must not load models");
    }
    List<String> mathDependencies = PomDependencies.compileArtifacts(Reactor.pom("libs/divergence"));
    mathDependencies.stream()
        .filter(artifact -> !artifact.startsWith("org.ejml:")
            && !artifact.equals("org.apache.commons:commons-statistics-distribution"))
        .forEach(artifact -> violations.add("libs/divergence has compile dependency " + artifact));
    assertThat(violations).isEmpty();
  }

  private static String artifactOf(String module) {
    return Path.of(module).getFileName().toString();
  }
}
