package dev.divergence.gateway.dashboard;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.util.MultiValueMap;

/** A posted form as the pages keep it: each field's first value, in order, without the CSRF token. */
final class FormValues {

  private FormValues() {}

  static Map<String, String> of(MultiValueMap<String, String> form) {
    Map<String, String> values = new LinkedHashMap<>();
    form.forEach((name, list) -> values.put(name, list.isEmpty() ? "" : list.get(0)));
    values.remove("_csrf");
    return values;
  }
}
