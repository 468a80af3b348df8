package dev.divergence.gateway.grpc;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

/**
 * A refusal by the gateway itself, as a gRPC status with details: the code and description every
 * client shows, and a {@code google.rpc.Status} (metadata {@code grpc-status-details-bin}) holding a
 * {@code google.rpc.ErrorInfo} whose reason and metadata a program can act on without parsing text.
 * Errors of the services pass through unchanged.
 */
final class GatewayStatus {

  /** {@code ErrorInfo.domain} of every error the gateway makes. */
  static final String DOMAIN = "gateway.divergence.dev";

  private GatewayStatus() {}

  static StatusException of(Status.Code code, String reason, String description, Map<String, String> metadata,
      com.google.protobuf.Message... moreDetails) {
    com.google.rpc.Status.Builder details = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(description)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).putAllMetadata(metadata).build()));
    for (com.google.protobuf.Message detail : moreDetails) {
      details.addDetails(Any.pack(detail));
    }
    return StatusProto.toStatusException(details.build(), new Metadata());
  }
}
