package dev.divergence.model.assets;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bundled data sets and the CSV reading behind them. */
class DatasetsTest {

    @Test
    void aQuotedFieldMayHoldTheSeparator() throws IOException {
        String csv = """
                2,3,"malignant, invasive",benign
                1.5,"2.5e1",3,0
                -4,5e-1,6,1
                """;
        LabeledData data = Datasets.countedTable(new StringReader(csv));
        assertThat(data.classNames()).containsExactly("malignant, invasive", "benign");
        assertThat(data.features()).isDeepEqualTo(new float[][]{{1.5f, 25f, 3f}, {-4f, 0.5f, 6f}});
        assertThat(data.labels()).containsExactly(0, 1);
    }

    @Test
    void aDoubledQuoteInsideQuotesIsOneQuote() throws IOException {
        String csv = "1,1,\"the \"\"bad\"\" class\",\"good\"\n0.25,1\n";
        LabeledData data = Datasets.countedTable(new StringReader(csv));
        assertThat(data.classNames()).containsExactly("the \"bad\" class", "good");
        assertThat(data.features()[0]).containsExactly(0.25f);
    }

    @Test
    void theBundledDataSetsLoad() {
        LabeledData cancer = Datasets.breastCancer();
        assertThat(cancer.size()).isEqualTo(569);
        assertThat(cancer.dim()).isEqualTo(30);
        assertThat(cancer.classNames()).isEqualTo(List.of("malignant", "benign"));
        // first record of the file (sklearn's load_breast_cancer row 0): 17.99, 10.38, ..., class 0
        assertThat(cancer.features()[0][0]).isEqualTo(17.99f);
        assertThat(cancer.features()[0][29]).isEqualTo(0.1189f);
        assertThat(cancer.labels()[0]).isZero();
        LabeledData digits = Datasets.digits();
        assertThat(digits.size()).isEqualTo(1797);
        assertThat(digits.dim()).isEqualTo(64);
        // first image: pixel 2 is 5/16, label 0
        assertThat(digits.features()[0][2]).isEqualTo(5f / 16f);
        assertThat(digits.labels()[0]).isZero();
    }
}
