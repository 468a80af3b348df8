package dev.divergence.proto.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jars other teams depend on (docs/integration.md) hold the contract: every .proto source, and a
 * descriptor set that names every service the sources declare and that can be linked on its own (its
 * imports included). The expected services are read from the .proto text with a regular expression,
 * not from protoc's output, so a source left out of the descriptor set fails the test.
 */
class ProtoArtifactIT {

  static final String DESCRIPTOR_SET = "META-INF/proto/divergence-apis.binpb";
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
  private static final Pattern SERVICE = Pattern.compile("(?m)^service\\s+(\\w+)\\s*\\{");

  @ParameterizedTest
  @ValueSource(strings = {"shared-proto.jar", "shared-proto.protos-jar"})
  void theJarHoldsEveryProtoSourceAndADescriptorSetOfEveryService(String jarProperty) throws Exception {
    Path sources = Path.of(System.getProperty("shared-proto.sources"));
    Map<String, String> sourceTexts = protoSources(sources);
    assertThat(sourceTexts).as("proto sources under " + sources).isNotEmpty();
    Set<String> declaredServices = new TreeSet<>();
    sourceTexts.values().forEach(text -> declaredServices.addAll(servicesDeclaredIn(text)));
    assertThat(declaredServices).contains("dev.divergence.training.v1.TrainingService", "inference.GRPCInferenceService");

    try (JarFile jar = new JarFile(System.getProperty(jarProperty))) {
      for (Map.Entry<String, String> source : sourceTexts.entrySet()) {
        var entry = jar.getJarEntry(source.getKey());
        assertThat(entry).as(source.getKey() + " in " + jar.getName()).isNotNull();
        try (InputStream in = jar.getInputStream(entry)) {
          assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(source.getValue());
        }
      }
      var descriptorEntry = jar.getJarEntry(DESCRIPTOR_SET);
      assertThat(descriptorEntry).as(DESCRIPTOR_SET + " in " + jar.getName()).isNotNull();
      FileDescriptorSet set;
      try (InputStream in = jar.getInputStream(descriptorEntry)) {
        set = FileDescriptorSet.parseFrom(in);
      }

      Set<String> servicesInSet = new TreeSet<>();
      for (FileDescriptorProto file : set.getFileList()) {
        for (ServiceDescriptorProto service : file.getServiceList()) {
          servicesInSet.add(qualified(file.getPackage(), service.getName()));
        }
      }
      assertThat(servicesInSet).isEqualTo(declaredServices);
      List<String> filesInSet = set.getFileList().stream().map(FileDescriptorProto::getName).toList();
      assertThat(filesInSet).containsAll(sourceTexts.keySet());
      // the comments travel with it (source info), so generated clients in other languages keep their docs
      FileDescriptorProto training = set.getFileList().stream()
          .filter(f -> f.getName().equals("dev/divergence/training/v1/training.proto")).findFirst().orElseThrow();
      assertThat(training.getSourceCodeInfo().getLocationList()).anyMatch(l -> !l.getLeadingComments().isBlank());
      // imports included: every file links against files of the same set alone
      Map<String, FileDescriptor> linked = link(set);
      assertThat(linked.keySet()).containsAll(sourceTexts.keySet());
    }
  }

  /**
   * What docs/integration.md tells another team to do: take the protos jar alone and generate code with
   * protoc, reading the descriptor set instead of .proto files, so no include path (not even protoc's own
   * well-known types) is needed. One Python module per .proto source and the Java classes must come out.
   */
  @Test
  void protocGeneratesClientsFromTheProtosJarAlone(@TempDir Path work) throws Exception {
    Path protoc = Path.of(System.getProperty("shared-proto.protoc"));
    Assumptions.assumeTrue(Files.isRegularFile(protoc), "protoc resolved by the build at " + protoc);
    Path executable = Files.copy(protoc, work.resolve("protoc"));
    executable.toFile().setExecutable(true);
    Path descriptorSet = work.resolve("divergence-apis.binpb");
    try (JarFile jar = new JarFile(System.getProperty("shared-proto.protos-jar"));
        InputStream in = jar.getInputStream(jar.getJarEntry(DESCRIPTOR_SET))) {
      Files.copy(in, descriptorSet);
    }
    Set<String> sources = new TreeSet<>(protoSources(Path.of(System.getProperty("shared-proto.sources"))).keySet());
    Path python = Files.createDirectories(work.resolve("python"));
    Path java = Files.createDirectories(work.resolve("java"));
    List<String> command = new ArrayList<>(List.of(executable.toString(), "--descriptor_set_in=" + descriptorSet,
        "--python_out=" + python, "--java_out=" + java));
    command.addAll(sources);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();

    Set<String> pythonModules = new TreeSet<>();
    try (Stream<Path> files = Files.walk(python)) {
      files.filter(f -> f.toString().endsWith("_pb2.py")).forEach(f -> pythonModules.add(python.relativize(f).toString()));
    }
    Set<String> expectedModules = new TreeSet<>();
    sources.forEach(s -> expectedModules.add(s.replace(".proto", "_pb2.py")));
    assertThat(pythonModules).isEqualTo(expectedModules);
    assertThat(java.resolve("dev/divergence/proto/training/v1/SubmitJobRequest.java")).isRegularFile();
  }

  private static Map<String, String> protoSources(Path root) throws IOException {
    Map<String, String> out = new HashMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".proto")).toList()) {
        out.put(root.relativize(file).toString().replace('\\', '/'), Files.readString(file));
      }
    }
    return out;
  }

  private static Set<String> servicesDeclaredIn(String protoText) {
    Matcher packageMatch = PACKAGE.matcher(protoText);
    String pkg = packageMatch.find() ? packageMatch.group(1) : "";
    Set<String> services = new TreeSet<>();
    Matcher service = SERVICE.matcher(protoText);
    while (service.find()) {
      services.add(qualified(pkg, service.group(1)));
    }
    return services;
  }

  private static String qualified(String pkg, String name) {
    return pkg.isEmpty() ? name : pkg + "." + name;
  }

  /** Builds every file of the set from the set alone; fails when an import is missing from it. */
  static Map<String, FileDescriptor> link(FileDescriptorSet set) throws DescriptorValidationException {
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    set.getFileList().forEach(f -> byName.put(f.getName(), f));
    Map<String, FileDescriptor> built = new HashMap<>();
    for (String name : byName.keySet()) {
      build(name, byName, built);
    }
    return built;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> byName, Map<String, FileDescriptor> built)
      throws DescriptorValidationException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = byName.get(name);
    assertThat(proto).as("import " + name + " is in the descriptor set").isNotNull();
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), byName, built);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    built.put(name, file);
    return file;
  }
}
