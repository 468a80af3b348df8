package dev.divergence.platform.web;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.text.TextRules;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
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
    if (request.getQueryString() != null) {
      request.getParameterMap().forEach((name, values) -> {
        String nameProblem = TextRules.problemIn(name);
        if (nameProblem != null) {
          violations.add(new FieldViolation("query parameter name", nameProblem));
          return;
        }
        for (String value : values) {
          String problem = TextRules.problemIn(value);
          if (problem != null) {
            violations.add(new FieldViolation(name, problem));
            return;
          }
        }
      });
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
