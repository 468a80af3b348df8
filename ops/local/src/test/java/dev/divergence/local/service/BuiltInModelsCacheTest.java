package dev.divergence.local.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class BuiltInModelsCacheTest {

    @TempDir
    Path dir;

    /** A Spring Boot-like jar whose BOOT-INF/lib/model-*.jar holds the given class files, written at {@code time}. */
    private Path serviceJar(String name, Map<String, String> classes, long time) throws Exception {
        ByteArrayOutputStream inner = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(inner)) {
            for (Map.Entry<String, String> c : classes.entrySet()) {
                ZipEntry e = new ZipEntry(c.getKey());
                e.setLastModifiedTime(FileTime.fromMillis(time));
                z.putNextEntry(e);
                z.write(c.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        byte[] nested = inner.toByteArray();
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream z = new ZipOutputStream(out)) {
            // Spring Boot stores nested jars uncompressed
            ZipEntry e = new ZipEntry("BOOT-INF/lib/model-0.1.0-SNAPSHOT.jar");
            e.setMethod(ZipEntry.STORED);
            e.setSize(nested.length);
            CRC32 crc = new CRC32();
            crc.update(nested);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(nested);
            z.closeEntry();
        }
        return jar;
    }

    private static void builtIn(Path modelsDir, String name, String madeBy) throws Exception {
        Path v1 = modelsDir.resolve(name).resolve("1");
        Files.createDirectories(v1);
        Files.writeString(v1.resolve("model.safetensors"), "weights of " + name);
        Files.writeString(v1.resolve("provenance.json"), "{\"name\": \"" + name + "\", \"made_by\": \"" + madeBy + "\"}");
    }

    @Test
    void theKeyFollowsTheCodeNotTheBuildTime() throws Exception {
        Map<String, String> code = Map.of("dev/divergence/model/A.class", "a", "dev/divergence/model/B.class", "b");
        String first = BuiltInModelsCache.codeKey(serviceJar("one.jar", code, 1_000_000L)).orElseThrow();
        String rebuilt = BuiltInModelsCache.codeKey(serviceJar("two.jar", code, 9_000_000_000L)).orElseThrow();
        String changed = BuiltInModelsCache.codeKey(serviceJar("three.jar",
                Map.of("dev/divergence/model/A.class", "a", "dev/divergence/model/B.class", "b2"), 1_000_000L)).orElseThrow();
        assertThat(rebuilt).isEqualTo(first);
        assertThat(changed).isNotEqualTo(first);
    }

    @Test
    void aJarWithoutLibsModelHasNoCache() throws Exception {
        Path jar = dir.resolve("gateway.jar");
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("BOOT-INF/lib/other-1.jar"));
            z.closeEntry();
        }
        assertThat(BuiltInModelsCache.forServiceJar(dir.resolve("cache"), jar)).isEmpty();
    }

    @Test
    void completeBuiltInModelsGoToTheCacheAndIntoTheNextFreshDataFolder() throws Exception {
        Path jar = serviceJar("inference.jar", Map.of("dev/divergence/model/A.class", "a"), 1L);
        BuiltInModelsCache cache = BuiltInModelsCache.forServiceJar(dir.resolve("cache"), jar).orElseThrow();
        Path firstData = dir.resolve("first/models");
        builtIn(firstData, "tiny-lm", BuiltInModelsCache.MADE_BY);
        builtIn(firstData, "my-distilled-student", "dev.divergence.training.SomethingElse"); // a user's model
        Files.createDirectories(firstData.resolve("half-made/1"));                          // no provenance yet

        assertThat(cache.publish(firstData)).containsExactly("tiny-lm");
        assertThat(cache.publish(firstData)).isEmpty(); // already there

        Path fresh = dir.resolve("fresh/models");
        assertThat(cache.seed(fresh)).containsExactly("tiny-lm");
        assertThat(Files.readString(fresh.resolve("tiny-lm/1/model.safetensors"))).isEqualTo("weights of tiny-lm");
        assertThat(fresh.resolve("my-distilled-student")).doesNotExist();
        assertThat(fresh.resolve("half-made")).doesNotExist();
        try (var left = Files.list(fresh.resolve("tiny-lm"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("1"); // no staging folder left
        }
    }

    @Test
    void aModelTheDataFolderAlreadyHasIsNeverOverwritten() throws Exception {
        Path jar = serviceJar("inference.jar", Map.of("dev/divergence/model/A.class", "a"), 1L);
        BuiltInModelsCache cache = BuiltInModelsCache.forServiceJar(dir.resolve("cache"), jar).orElseThrow();
        builtIn(dir.resolve("a/models"), "tiny-lm", BuiltInModelsCache.MADE_BY);
        cache.publish(dir.resolve("a/models"));

        Path data = dir.resolve("b/models");
        Files.createDirectories(data.resolve("tiny-lm/1"));
        Files.writeString(data.resolve("tiny-lm/1/model.safetensors"), "being made by the service");
        assertThat(cache.seed(data)).isEmpty();
        assertThat(Files.readString(data.resolve("tiny-lm/1/model.safetensors"))).isEqualTo("being made by the service");
    }
}
