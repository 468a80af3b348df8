package dev.divergence.model.assets;

import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.csv.CsvMapper;
import tools.jackson.dataformat.csv.CsvReadFeature;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The real data sets bundled with this module (UCI via scikit-learn, CC BY 4.0; see
 * resources/dev/divergence/model/datasets/README.md for provenance).
 */
public final class Datasets {

    private static final String BASE = "/dev/divergence/model/datasets/";
    private static final CsvMapper CSV = CsvMapper.builder().build();

    private Datasets() {
    }

    /** 569 x 30 diagnostic features, classes malignant (0) / benign (1); raw, unscaled. */
    public static LabeledData breastCancer() {
        try (BufferedReader r = reader("breast_cancer.csv", false)) {
            return countedTable(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A table whose first record is "rows, dim, class name, class name, ..." followed by {@code rows} records of
     * {@code dim} features and the class index.
     */
    static LabeledData countedTable(Reader in) throws IOException {
        try (MappingIterator<String[]> records = records(in)) {
            String[] head = next(records, "the header");
            int rows = Integer.parseInt(head[0].strip());
            int dim = Integer.parseInt(head[1].strip());
            List<String> names = List.of(head).subList(2, head.length);
            float[][] x = new float[rows][dim];
            int[] y = new int[rows];
            for (int i = 0; i < rows; i++) {
                String[] cells = next(records, "record " + (i + 1) + " of " + rows);
                for (int j = 0; j < dim; j++) {
                    x[i][j] = Float.parseFloat(cells[j]);
                }
                y[i] = Integer.parseInt(cells[dim].strip());
            }
            return new LabeledData(x, y, names);
        }
    }

    /** 1797 8x8 digit images, pixels scaled from 0..16 to 0..1, classes "0".."9". */
    public static LabeledData digits() {
        try (BufferedReader r = reader("digits.csv.gz", true)) {
            return digitTable(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records of 64 pixel values in 0..16 and the digit. */
    static LabeledData digitTable(Reader in) throws IOException {
        List<float[]> x = new ArrayList<>();
        List<Integer> y = new ArrayList<>();
        try (MappingIterator<String[]> records = records(in)) {
            while (records.hasNextValue()) {
                String[] cells = records.nextValue();
                float[] row = new float[64];
                for (int j = 0; j < 64; j++) {
                    row[j] = Float.parseFloat(cells[j]) / 16f;
                }
                x.add(row);
                y.add((int) Float.parseFloat(cells[64]));
            }
        }
        return new LabeledData(x.toArray(new float[0][]), y.stream().mapToInt(Integer::intValue).toArray(),
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }

    /** Every record as its cells (RFC 4180: quoted cells may hold commas and doubled quotes); blank lines skipped. */
    private static MappingIterator<String[]> records(Reader in) {
        return CSV.readerFor(String[].class)
                .with(CsvReadFeature.WRAP_AS_ARRAY)
                .with(CsvReadFeature.SKIP_EMPTY_LINES)
                .readValues(in);
    }

    private static String[] next(MappingIterator<String[]> records, String what) {
        if (!records.hasNextValue()) {
            throw new IllegalStateException("data set ends before " + what);
        }
        return records.nextValue();
    }

    private static BufferedReader reader(String name, boolean gzip) throws IOException {
        InputStream in = Datasets.class.getResourceAsStream(BASE + name);
        if (in == null) {
            throw new IllegalStateException("bundled data set missing: " + name);
        }
        return new BufferedReader(new InputStreamReader(gzip ? new GZIPInputStream(in) : in, StandardCharsets.UTF_8));
    }
}
