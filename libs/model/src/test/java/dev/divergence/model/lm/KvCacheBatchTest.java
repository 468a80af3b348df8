package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.TestSupport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decode steps of independent sequences stacked into one batch must give each sequence the
 * logits it gets decoding alone, however the batch's membership changes between steps.
 */
class KvCacheBatchTest {

    private static NDManager manager;
    private static LlamaModel model;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
        LlamaConfig config = LlamaConfig.llama(40, 32, 48, 2, 4, 2, 64);
        model = LlamaModel.initialize(manager, config, 11);
        // larger weights than the default init so that logits differ visibly between sequences
        model.parameters().asMap().forEach((name, a) -> {
            if (!name.endsWith("norm.weight")) {
                a.muli(15);
            }
        });
    }

    @AfterAll
    static void stop() {
        model.close();
        manager.close();
    }

    /** One sequence decoded two ways: alone (the reference) and through the batch. */
    private static final class Sequence {
        final KvCache alone;
        final KvCache batched;
        long next;

        Sequence(long[] prompt) {
            alone = new KvCache(manager, model.config().numLayers(), 1);
            batched = new KvCache(manager, model.config().numLayers(), 1);
            float[] a = step(alone, prompt);
            float[] b = step(batched, prompt);
            assertThat(b).containsExactly(a);
            next = argmax(a);
        }
    }

    /** The summation-order bound of {@link TestSupport#forwardTolerance}, over at most the context's positions. */
    private static float tolerance(float[] alone) {
        return (float) TestSupport.forwardTolerance(model.config(), model.config().maxPositionEmbeddings(), alone);
    }

    private static float[] step(KvCache cache, long... tokens) {
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = model.forward(m.create(tokens, new Shape(1, tokens.length)), null, cache);
            return logits.get(0, tokens.length - 1).toFloatArray();
        }
    }

    /** One batched step of {@code sequences}, checked row by row against each decoding alone. */
    private static void batchedStepMatchesAlone(KvCacheBatch batch, List<Sequence> sequences) {
        List<KvCache> caches = sequences.stream().map(s -> s.batched).toList();
        KvCache stacked = batch.gather(caches);
        long[] ids = sequences.stream().mapToLong(s -> s.next).toArray();
        float[][] rows = new float[ids.length][];
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = model.forward(m.create(ids, new Shape(ids.length, 1)), null, stacked);
            for (int i = 0; i < ids.length; i++) {
                rows[i] = logits.get(i, 0).toFloatArray();
            }
        }
        for (int i = 0; i < ids.length; i++) {
            Sequence sequence = sequences.get(i);
            float[] alone = step(sequence.alone, sequence.next);
            assertThat(rows[i]).as("row %d", i).containsExactly(alone, offset(tolerance(alone)));
            sequence.next = argmax(alone);
        }
    }

    @Test
    void stepsOfSequencesOfDifferentLengthsMatchDecodingAlone() {
        try (KvCacheBatch batch = new KvCacheBatch(manager)) {
            Sequence a = new Sequence(new long[] {3, 17, 5});
            Sequence b = new Sequence(new long[] {9, 1, 2, 33, 8, 21, 4, 4});
            Sequence c = new Sequence(new long[] {12});
            List<Sequence> all = List.of(a, b, c);
            for (int i = 0; i < 3; i++) {
                batchedStepMatchesAlone(batch, all); // resident: the same stacked cache each step
            }
            assertThat(batch.members()).containsExactly(a.batched, b.batched, c.batched);
            batchedStepMatchesAlone(batch, List.of(c, a)); // another membership: scatter, restack
            assertThat(b.batched.length()).isEqualTo(8 + 3);

            batch.release(a.batched);
            assertThat(batch.members()).isEmpty();
            assertThat(a.batched.length()).isEqualTo(3 + 4);
            // alone again, its cache continues where the batch left it
            float[] alone = step(a.alone, a.next);
            assertThat(step(a.batched, a.next)).containsExactly(alone, offset(tolerance(alone)));
            a.next = argmax(alone);

            batchedStepMatchesAlone(batch, all);
            close(all);
        }
    }

    /** One {@link KvCacheBatch#step} of {@code sequences}: other resident rows step masked. */
    private static void residentStepMatchesAlone(KvCacheBatch batch, List<Sequence> sequences) {
        KvCacheBatch.Step step = batch.step(sequences.stream().map(s -> s.batched).toList());
        int rows = step.cache().batch();
        long[] ids = new long[rows];
        long[] mask = new long[rows];
        for (int i = 0; i < sequences.size(); i++) {
            ids[step.rows()[i]] = sequences.get(i).next;
            mask[step.rows()[i]] = 1;
        }
        float[][] got = new float[sequences.size()][];
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = model.forward(m.create(ids, new Shape(rows, 1)), m.create(mask, new Shape(rows, 1)), step.cache());
            for (int i = 0; i < got.length; i++) {
                got[i] = logits.get(step.rows()[i], 0).toFloatArray();
            }
        }
        for (int i = 0; i < got.length; i++) {
            Sequence sequence = sequences.get(i);
            float[] alone = step(sequence.alone, sequence.next);
            assertThat(got[i]).as("sequence %d", i).containsExactly(alone, offset(tolerance(alone)));
            sequence.next = argmax(alone);
        }
    }

    @Test
    void stepsOfChangingSubsetsStayResidentWithIdleRowsMaskedAndNewcomersAppended() {
        try (KvCacheBatch batch = new KvCacheBatch(manager)) {
            Sequence a = new Sequence(new long[] {3, 17, 5});
            Sequence b = new Sequence(new long[] {9, 1, 2, 33, 8, 21, 4, 4});
            Sequence c = new Sequence(new long[] {12, 30});
            Sequence d = new Sequence(new long[] {6});
            residentStepMatchesAlone(batch, List.of(a, b, c));
            residentStepMatchesAlone(batch, List.of(c, a)); // b idles in place
            residentStepMatchesAlone(batch, List.of(b, d)); // d joins as a new row, a and c idle
            assertThat(batch.members()).containsExactly(a.batched, b.batched, c.batched, d.batched);
            residentStepMatchesAlone(batch, List.of(a, b, c, d));
            d.batched.close();
            d.alone.close();
            residentStepMatchesAlone(batch, List.of(b, c));
            batch.scatter();
            // back alone, each cache holds its real tokens (plus masked positions from idle steps)
            assertThat(b.batched.length()).isGreaterThanOrEqualTo(8 + 4);
            for (Sequence s : List.of(a, b, c)) {
                float[] alone = step(s.alone, s.next);
                assertThat(step(s.batched, s.next)).containsExactly(alone, offset(tolerance(alone)));
                s.next = argmax(alone);
            }
            close(List.of(a, b, c));
        }
    }

    @Test
    void closedMembersAreSkippedAndResidentCachesRefuseToDecodeAlone() {
        try (KvCacheBatch batch = new KvCacheBatch(manager)) {
            Sequence a = new Sequence(new long[] {5, 6});
            Sequence b = new Sequence(new long[] {7, 8, 9, 10});
            batchedStepMatchesAlone(batch, List.of(a, b));
            assertThatThrownBy(() -> step(a.batched, 1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> batch.gather(List.of(b.batched, b.batched))).isInstanceOf(IllegalArgumentException.class);
            b.batched.close();
            b.alone.close();
            List<Sequence> left = new ArrayList<>(List.of(a));
            batchedStepMatchesAlone(batch, left);
            batch.dropIfUnused();
            assertThat(batch.members()).containsExactly(a.batched); // gathered alone after b closed, and still open
            batch.scatter();
            assertThat(a.batched.length()).isEqualTo(2 + 2);
            batchedStepMatchesAlone(batch, left);
            close(left);
            batch.dropIfUnused();
            assertThat(batch.members()).isEmpty();
        }
    }

    private static void close(List<Sequence> sequences) {
        for (Sequence s : sequences) {
            s.alone.close();
            s.batched.close();
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
