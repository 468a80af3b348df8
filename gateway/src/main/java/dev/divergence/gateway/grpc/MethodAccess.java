package dev.divergence.gateway.grpc;

import dev.divergence.platform.tenancy.Roles;
import java.util.List;
import java.util.Set;

/**
 * Which role a gRPC method needs, as REST decides by the HTTP method: a read needs {@code viewer},
 * anything that creates, changes, cancels or computes on the caller's behalf needs {@code submitter}.
 * gRPC has no verbs, so the platform's naming convention says what reads: Get*, List*, Watch*,
 * Stream*, Search* and Read*, plus the methods configured as reads (e.g. AnalysisService/CompareRuns,
 * a GET over REST).
 */
final class MethodAccess {

  private static final List<String> READ_PREFIXES = List.of("Get", "List", "Watch", "Stream", "Search", "Read");

  private final Set<String> extraReads;

  MethodAccess(List<String> extraReads) {
    this.extraReads = Set.copyOf(extraReads);
  }

  /** The weakest role that may call {@code fullMethodName} ({@code package.Service/Method}). */
  String requiredRole(String fullMethodName) {
    if (extraReads.contains(fullMethodName)) {
      return Roles.VIEWER;
    }
    String method = fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1);
    for (String prefix : READ_PREFIXES) {
      // GetJob reads; a hypothetical "Getaway" does not: the prefix must end a word
      if (method.startsWith(prefix) && (method.length() == prefix.length()
          || Character.isUpperCase(method.charAt(prefix.length())) || Character.isDigit(method.charAt(prefix.length())))) {
        return Roles.VIEWER;
      }
    }
    return Roles.SUBMITTER;
  }
}
