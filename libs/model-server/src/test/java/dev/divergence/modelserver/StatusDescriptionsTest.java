package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Expected values are counted by hand from the inputs: lengths in UTF-8 bytes, not in chars. */
class StatusDescriptionsTest {

    @Test
    void aShortDescriptionIsLeftAsItIs() {
        assertThat(StatusDescriptions.bounded("Request for unknown model: 'x' is not found"))
                .isEqualTo("Request for unknown model: 'x' is not found");
        assertThat(StatusDescriptions.bounded(null)).isNull();
    }

    @Test
    void aLongDescriptionKeepsItsFirstBytesAndSaysHowMuchWasCut() {
        String cut = StatusDescriptions.bounded("a".repeat(5000));
        assertThat(cut).isEqualTo("a".repeat(1000) + "... (4000 more characters)");
    }

    @Test
    void theCutIsCountedInUtf8BytesAndNeverSplitsACharacter() {
        // 2000 characters of 3 bytes: 333 whole characters fit in 1000 bytes (999 bytes), 1667 are cut
        String cut = StatusDescriptions.bounded("模".repeat(2000));
        assertThat(cut).isEqualTo("模".repeat(333) + "... (1667 more characters)");
        // a supplementary character (4 bytes, two chars) is never split: 250 of them are exactly 1000 bytes
        String emoji = "\uD83D\uDE00".repeat(300);
        assertThat(StatusDescriptions.bounded(emoji)).isEqualTo("\uD83D\uDE00".repeat(250) + "... (100 more characters)");
        assertThat(StatusDescriptions.bounded(emoji).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1000 + 30);
    }

    @Test
    void anEchoedClientStringIsAbbreviated() {
        assertThat(StatusDescriptions.echoed("tiny-lm")).isEqualTo("tiny-lm");
        assertThat(StatusDescriptions.echoed("n".repeat(10_000))).isEqualTo("n".repeat(100) + "... (9900 more characters)");
    }
}
