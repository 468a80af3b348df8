package dev.divergence.model.assets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
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

    private Datasets() {
    }

    /** 569 x 30 diagnostic features, classes malignant (0) / benign (1); raw, unscaled. */
    public static LabeledData breastCancer() {
        try (BufferedReader r = reader("breast_cancer.csv", false)) {
            String[] head = r.readLine().split(",");
            int rows = Integer.parseInt(head[0]);
            int dim = Integer.parseInt(head[1]);
            List<String> names = List.of(head[2], head[3]);
            float[][] x = new float[rows][dim];
            int[] y = new int[rows];
            for (int i = 0; i < rows; i++) {
                String[] cells = r.readLine().split(",");
                for (int j = 0; j < dim; j++) {
                    x[i][j] = Float.parseFloat(cells[j]);
                }
                y[i] = Integer.parseInt(cells[dim].trim());
            }
            return new LabeledData(x, y, names);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** 1797 8x8 digit images, pixels scaled from 0..16 to 0..1, classes "0".."9". */
    public static LabeledData digits() {
        try (BufferedReader r = reader("digits.csv.gz", true)) {
            List<float[]> x = new ArrayList<>();
            List<Integer> y = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",");
                float[] row = new float[64];
                for (int j = 0; j < 64; j++) {
                    row[j] = Float.parseFloat(cells[j]) / 16f;
                }
                x.add(row);
                y.add((int) Float.parseFloat(cells[64]));
            }
            return new LabeledData(x.toArray(new float[0][]), y.stream().mapToInt(Integer::intValue).toArray(),
                    List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BufferedReader reader(String name, boolean gzip) throws IOException {
        InputStream in = Datasets.class.getResourceAsStream(BASE + name);
        if (in == null) {
            throw new IllegalStateException("bundled data set missing: " + name);
        }
        return new BufferedReader(new InputStreamReader(gzip ? new GZIPInputStream(in) : in, StandardCharsets.UTF_8));
    }
}
