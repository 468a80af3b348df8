package dev.divergence.platform.errors;

import io.grpc.Status;

/** The platform's error categories with their HTTP status and matching gRPC code. */
public enum ErrorKind {
  INVALID_ARGUMENT(400, Status.Code.INVALID_ARGUMENT, "invalid-argument", "Invalid argument"),
  UNAUTHENTICATED(401, Status.Code.UNAUTHENTICATED, "unauthenticated", "Unauthenticated"),
  PERMISSION_DENIED(403, Status.Code.PERMISSION_DENIED, "permission-denied", "Permission denied"),
  PAYLOAD_TOO_LARGE(413, Status.Code.RESOURCE_EXHAUSTED, "payload-too-large", "Payload too large"),
  TOO_MANY_REQUESTS(429, Status.Code.RESOURCE_EXHAUSTED, "too-many-requests", "Too many requests"),
  NOT_FOUND(404, Status.Code.NOT_FOUND, "not-found", "Not found"),
  CONFLICT(409, Status.Code.FAILED_PRECONDITION, "conflict", "Conflict"),
  ALREADY_EXISTS(409, Status.Code.ALREADY_EXISTS, "already-exists", "Already exists"),
  UNAVAILABLE(503, Status.Code.UNAVAILABLE, "unavailable", "Service unavailable"),
  INTERNAL(500, Status.Code.INTERNAL, "internal", "Internal error");

  /** Problem type URIs are relative to this base; docs/errors.md describes each. */
  public static final String TYPE_BASE = "https://divergence.dev/problems/";

  private final int httpStatus;
  private final Status.Code grpcCode;
  private final String slug;
  private final String title;

  ErrorKind(int httpStatus, Status.Code grpcCode, String slug, String title) {
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.slug = slug;
    this.title = title;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public Status.Code grpcCode() {
    return grpcCode;
  }

  public String typeUri() {
    return TYPE_BASE + slug;
  }

  public String title() {
    return title;
  }
}
