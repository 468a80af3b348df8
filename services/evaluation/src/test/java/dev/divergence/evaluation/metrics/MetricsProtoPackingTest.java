package dev.divergence.evaluation.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.proto.evaluation.v1.CalibrationRequest;
import dev.divergence.proto.evaluation.v1.Matrix;
import dev.divergence.proto.evaluation.v1.SinkhornRequest;
import dev.divergence.proto.evaluation.v1.Wasserstein1DRequest;
import org.junit.jupiter.api.Test;

/**
 * The large gRPC inputs of the Metrics API travel packed (docs/evaluation.md, Payload formats): one
 * tag and one length for the whole array, then 8 bytes a double, 4 a float, one varint an int32. An
 * unpacked encoding would add a tag byte to every value, which these exact sizes would show.
 */
class MetricsProtoPackingTest {

  private static final int N = 1000;

  /** Tag (1 byte, field numbers < 16) + varint length (2 bytes for 128..16383) + payload. */
  private static int packedField(int payloadBytes) {
    return 1 + 2 + payloadBytes;
  }

  @Test
  void vectorsArePackedDoubles() {
    Wasserstein1DRequest.Builder w = Wasserstein1DRequest.newBuilder();
    SinkhornRequest.Builder s = SinkhornRequest.newBuilder();
    for (int i = 0; i < N; i++) {
      w.addU(i + 0.5);
      s.addA(1.0 / N);
    }
    assertThat(w.build().getSerializedSize()).isEqualTo(packedField(8 * N));
    assertThat(s.build().getSerializedSize()).isEqualTo(packedField(8 * N));
  }

  @Test
  void matricesArePackedWithTheirShape() {
    Matrix.Builder f64 = Matrix.newBuilder().setRows(10).setCols(N / 10);
    Matrix.Builder f32 = Matrix.newBuilder().setRows(10).setCols(N / 10);
    for (int i = 0; i < N; i++) {
      f64.addFloat64(i);
      f32.addFloat32(i);
    }
    // rows and cols: tag + one-byte varint each
    assertThat(f64.build().getSerializedSize()).isEqualTo(2 + 2 + packedField(8 * N));
    assertThat(f32.build().getSerializedSize()).isEqualTo(2 + 2 + packedField(4 * N));
  }

  @Test
  void calibrationTargetsArePackedVarints() {
    CalibrationRequest.Builder c = CalibrationRequest.newBuilder();
    for (int i = 0; i < N; i++) {
      c.addTargets(i % 10);
    }
    assertThat(c.build().getSerializedSize()).isEqualTo(packedField(N));
  }
}
