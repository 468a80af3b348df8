package dev.divergence.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    @TempDir
    Path dir;

    static {
        TestSupport.newManager().close(); // same offline / cache settings as the other tests
    }

    @Test
    void byteTokenizerRoundTripsAnyText() {
        ByteTokenizer t = new ByteTokenizer();
        String text = "12+7=19\nGrüße, 世界 🙂";
        long[] ids = t.encode(text);
        assertThat(ids).hasSize(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertThat(t.decode(ids)).isEqualTo(text);
        assertThat(t.encodeWithBos("a")).containsExactly(ByteTokenizer.BOS, 'a');
        assertThat(t.decode(new long[] {ByteTokenizer.BOS, 'h', 'i', ByteTokenizer.EOS})).isEqualTo("hi");
    }

    @Test
    void byteTokenizerExportsAnEquivalentHuggingFaceTokenizer() {
        Tokenizers.writeByteTokenizer(dir);
        ByteTokenizer ours = new ByteTokenizer();
        try (TextTokenizer hf = Tokenizers.load(dir)) {
            for (String text : new String[] {"12+7=19", "  spaces\tand\nnewlines ", "Grüße, 世界 🙂", "\u0000\u007f"}) {
                assertThat(hf.encode(text)).as(text).containsExactly(ours.encode(text));
                assertThat(hf.decode(ours.encode(text))).isEqualTo(text);
            }
            String longText = "0123456789".repeat(100);
            assertThat(hf.encode(longText)).as("never truncated").hasSize(1000);
            assertThat(hf.vocabSize()).isEqualTo(ByteTokenizer.VOCAB_SIZE);
            assertThat(hf.eosTokenId()).hasValue(ByteTokenizer.EOS);
            assertThat(hf.bosTokenId()).hasValue(ByteTokenizer.BOS);
            assertThat(hf.padTokenId()).hasValue(ByteTokenizer.PAD);
        }
    }

    @Test
    void loadsAHuggingFaceTokenizerJson() {
        try (TextTokenizer t = Tokenizers.load(TestSupport.resource("tokenizers/wordlevel"))) {
            assertThat(t.encode("The cat sat on the mat.")).containsExactly(2, 3, 4, 5, 2, 6, 7);
            assertThat(t.encode("the dog")).containsExactly(2, 0);
            assertThat(t.decode(new long[] {2, 3, 1})).isEqualTo("the cat");
            assertThat(t.eosTokenId()).hasValue(1);
            assertThat(t.vocabSize()).isEqualTo(8);
        }
    }

    @Test
    void missingOrBrokenTokenizerFilesAreNamed() throws IOException {
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class).hasMessageContaining("tokenizer.json");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nope\"}}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class).hasMessageContaining("tokenizer.json");
    }
}
