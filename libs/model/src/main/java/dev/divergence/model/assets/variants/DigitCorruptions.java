package dev.divergence.model.assets.variants;

/**
 * The image corruptions of the digits variants, as pure functions of one 8x8 image (64 pixels, row
 * major, values in [0, 1] with 0 the background, as {@link dev.divergence.model.assets.Datasets#digits()}
 * gives them) and of the random draws they need, so that each can be checked against an independent
 * computation. Arithmetic is in double; the result is rounded to float once.
 */
public final class DigitCorruptions {

    public static final int SIDE = 8;
    public static final int PIXELS = SIDE * SIDE;
    /** The pixel value of the background (digits are light strokes on a dark, zero background). */
    public static final float BACKGROUND = 0f;
    /** scipy.ndimage.gaussian_filter's default: the kernel reaches {@code round(4 sigma)} pixels either side. */
    public static final double TRUNCATE = 4.0;

    private DigitCorruptions() {
    }

    /** clip(x + std * z, 0, 1) per pixel; {@code z} are standard normal draws, one per pixel. */
    public static float[] noise(float[] image, double std, double[] z) {
        requireImage(image);
        if (z.length != image.length) {
            throw new IllegalArgumentException("need one draw per pixel, got " + z.length);
        }
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = (float) Math.clamp(image[i] + std * z[i], 0.0, 1.0);
        }
        return out;
    }

    /**
     * Gaussian blur with scipy.ndimage.gaussian_filter's semantics, {@code mode='constant', cval=0}
     * (outside the image is background) and {@code truncate=4}: a separable correlation, rows then
     * columns, with weights exp(-x^2 / (2 sigma^2)) for |x| <= int(4 sigma + 0.5), normalised to sum 1.
     */
    public static float[] blur(float[] image, double sigma) {
        requireImage(image);
        double[] kernel = gaussianKernel(sigma);
        int radius = kernel.length / 2;
        double[] rows = new double[PIXELS];
        // along each row (scipy filters the last axis after the first; the order does not change the sum's terms)
        for (int r = 0; r < SIDE; r++) {
            for (int c = 0; c < SIDE; c++) {
                double sum = 0;
                for (int k = -radius; k <= radius; k++) {
                    int cc = c + k;
                    if (cc >= 0 && cc < SIDE) {
                        sum += kernel[k + radius] * image[r * SIDE + cc];
                    }
                }
                rows[r * SIDE + c] = sum;
            }
        }
        float[] out = new float[PIXELS];
        for (int r = 0; r < SIDE; r++) {
            for (int c = 0; c < SIDE; c++) {
                double sum = 0;
                for (int k = -radius; k <= radius; k++) {
                    int rr = r + k;
                    if (rr >= 0 && rr < SIDE) {
                        sum += kernel[k + radius] * rows[rr * SIDE + c];
                    }
                }
                out[r * SIDE + c] = (float) sum;
            }
        }
        return out;
    }

    /** The normalised 1-D Gaussian weights scipy.ndimage uses for {@code sigma} (length 2 int(4 sigma + 0.5) + 1). */
    public static double[] gaussianKernel(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("sigma must be > 0, got " + sigma);
        }
        int radius = (int) (TRUNCATE * sigma + 0.5);
        double[] weights = new double[2 * radius + 1];
        double total = 0;
        for (int x = -radius; x <= radius; x++) {
            weights[x + radius] = Math.exp(-0.5 * x * x / (sigma * sigma));
            total += weights[x + radius];
        }
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= total;
        }
        return weights;
    }

    /** The {@code side} x {@code side} square with top-left pixel (top, left) set to the background. */
    public static float[] occlude(float[] image, int side, int top, int left) {
        requireImage(image);
        if (side < 1 || top < 0 || left < 0 || top + side > SIDE || left + side > SIDE) {
            throw new IllegalArgumentException("patch " + side + " at (" + top + ", " + left + ") is not inside the image");
        }
        float[] out = image.clone();
        for (int r = top; r < top + side; r++) {
            for (int c = left; c < left + side; c++) {
                out[r * SIDE + c] = BACKGROUND;
            }
        }
        return out;
    }

    /**
     * Contrast reduction towards the image's own mean m: m + factor (x - m) per pixel, factor in (0, 1]
     * (a convex combination of x and m, so the result stays in [0, 1]).
     */
    public static float[] contrast(float[] image, double factor) {
        requireImage(image);
        double mean = 0;
        for (float v : image) {
            mean += v;
        }
        mean /= image.length;
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = (float) (mean + factor * (image[i] - mean));
        }
        return out;
    }

    private static void requireImage(float[] image) {
        if (image.length != PIXELS) {
            throw new IllegalArgumentException("a digits image has " + PIXELS + " pixels, got " + image.length);
        }
    }
}
