package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The playground: generate with a served language model and a decoding strategy. For the
 * context-aware strategies the inference service reports each step's alpha_t and entropy, shown on
 * the generated text token by token.
 */
@Controller
class PlaygroundController {

  static final List<String> STRATEGIES = List.of("greedy", "sample", "cad", "adacad", "uscd");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ServiceClient services;

  PlaygroundController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/playground")
  String form(Model page) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("model", "tiny-lm");
    values.put("strategy", "adacad");
    values.put("prompt", "12+7=");
    values.put("context", "12+7=19 ");
    values.put("maxTokens", "12");
    fill(page, values, Map.of());
    return "playground";
  }

  @PostMapping("/ui/playground")
  String generate(@RequestParam MultiValueMap<String, String> form, Model page) {
    Map<String, String> values = FormValues.of(form);
    Map<String, String> errors = new LinkedHashMap<>();
    ObjectNode request = JSON.createObjectNode();
    putText(request, "model", values.get("model"));
    putText(request, "prompt", values.get("prompt"));
    putText(request, "context", values.get("context"));
    putText(request, "lamePrompt", values.get("lamePrompt"));
    ObjectNode strategy = request.putObject("strategy");
    putText(strategy, "name", values.get("strategy"));
    String maxTokens = values.getOrDefault("maxTokens", "").strip();
    if (!maxTokens.isEmpty()) {
      try {
        request.put("maxTokens", Integer.parseInt(maxTokens));
      } catch (NumberFormatException e) {
        errors.put("maxTokens", "must be a whole number, got '" + maxTokens + "'");
      }
    }
    request.put("diagnostics", true);
    if (!errors.isEmpty()) {
      page.addAttribute("problem", "Some fields are not valid; nothing was generated.");
    } else {
      ServiceClient.Answer answer = services.post("inference", "/api/v1/inference/generate", request.toString());
      if (answer.ok()) {
        page.addAttribute("result", answer.body());
        page.addAttribute("tokens", answer.items("tokens"));
      } else {
        page.addAttribute("problem", Problems.detail(answer));
        errors.putAll(Problems.fieldMessages(answer));
      }
    }
    fill(page, values, errors);
    return "playground";
  }

  private void fill(Model page, Map<String, String> values, Map<String, String> errors) {
    List<String> models = new ArrayList<>();
    ServiceClient.Answer served = services.get("inference", "/api/v1/inference/models");
    served.body().forEach(model -> {
      if ("LANGUAGE_MODEL".equals(model.path("kind").asString())) {
        models.add(model.path("name").asString());
      }
    });
    page.addAttribute("models", models);
    page.addAttribute("strategies", STRATEGIES);
    page.addAttribute("values", values);
    page.addAttribute("errors", errors);
  }

  private static void putText(ObjectNode node, String field, String value) {
    if (value != null && !value.isBlank()) {
      node.put(field, value);
    }
  }
}
