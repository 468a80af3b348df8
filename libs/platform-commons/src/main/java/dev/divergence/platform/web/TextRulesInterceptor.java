package dev.divergence.platform.web;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.text.TextRules;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Applies {@link TextRules} to query parameters and path variables before a controller sees them;
 * the exception it throws becomes the usual 400 problem naming each offending parameter. (JSON bodies
 * are checked while they are read, by {@link dev.divergence.platform.text.TextRulesModule}.)
 */
public class TextRulesInterceptor implements HandlerInterceptor {

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
    List<FieldViolation> violations = new ArrayList<>();
    // the query string is decoded here rather than through getParameterMap(), which would also read
    // (and so consume) a form-encoded body that a controller or the gateway's proxy streams itself
    String query = request.getQueryString();
    if (query != null) {
      for (String pair : query.split("&")) {
        int equals = pair.indexOf('=');
        String name;
        String value;
        try {
          name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
          value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
          violations.add(new FieldViolation("parameters", "query parameters are not valid percent-encoding"));
          break;
        }
        String nameProblem = TextRules.problemIn(name);
        String problem = TextRules.problemIn(value);
        if (nameProblem != null) {
          violations.add(new FieldViolation("query parameter name", nameProblem));
        } else if (problem != null) {
          violations.add(new FieldViolation(name, problem));
        }
      }
    }
    if (request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables) {
      variables.forEach((name, value) -> {
        String problem = value instanceof String text ? TextRules.problemIn(text) : null;
        if (problem != null) {
          violations.add(new FieldViolation(String.valueOf(name), problem));
        }
      });
    }
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
    return true;
  }
}
