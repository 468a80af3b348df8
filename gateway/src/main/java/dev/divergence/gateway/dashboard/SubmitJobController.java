package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The submission wizard: algorithm, then models and dataset from the training registry, then the
 * divergence with its parameters from the platform's divergence registry (description and valid range
 * on each field), then the budget. As the user types, the form is sent to the training service as a
 * dry run, so its problem+json field errors appear next to the fields they name before anything is
 * submitted; on submission the service has the last word again.
 */
@Controller
class SubmitJobController {

  /** Algorithms whose method the wizard asks field by field; the others take their method block as JSON. */
  static final Set<String> GUIDED = Set.of("distillation", "f_dpo");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ServiceClient services;

  SubmitJobController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/jobs/new")
  String form(@RequestParam(defaultValue = "distillation") String algorithm, Model page) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("algorithm", algorithm);
    values.put("maxSteps", "200");
    values.put("divergence", "kl");
    if ("distillation".equals(algorithm)) {
      values.put("model", "breast-cancer-mlp-student");
      values.put("teacherModel", "breast-cancer-mlp-teacher");
      values.put("dataset", "breast-cancer");
      values.put("temperature", "2.0");
    }
    fill(page, values, Map.of(), null);
    return "job-new";
  }

  /** The divergence's parameter fields alone, swapped in when another divergence is chosen. */
  @GetMapping("/ui/jobs/new/divergence-parameters")
  String divergenceParameters(@RequestParam(defaultValue = "") String divergence, Model page) {
    page.addAttribute("values", Map.of("divergence", divergence));
    page.addAttribute("errors", Map.of());
    page.addAttribute("chosen", divergences().get(divergence));
    return "job-new :: divergence-parameters";
  }

  @PostMapping("/ui/jobs/new")
  String submit(@RequestParam MultiValueMap<String, String> form, Model page) {
    Map<String, String> values = FormValues.of(form);
    Map<String, String> errors = new LinkedHashMap<>();
    ObjectNode request = submission(values, errors);
    if (errors.isEmpty()) {
      ServiceClient.Answer answer = services.post("training", "/api/v1/training/jobs", request.toString());
      if (answer.ok()) {
        return "redirect:/ui/jobs/" + JobPagesController.encode(answer.body().path("jobId").asString());
      }
      errors.putAll(Problems.fieldMessages(answer));
      fill(page, values, errors, Problems.detail(answer));
      return "job-new";
    }
    fill(page, values, errors, "Some fields are not valid; nothing was submitted.");
    return "job-new";
  }

  /**
   * Validation as the user types: the form as a dry run of the training service. The answer is the
   * status line, and every error slot of the form's fields swapped out of band (emptied where the
   * field is now fine), so messages appear and disappear next to their fields.
   */
  @PostMapping("/ui/jobs/new/validation")
  String validate(@RequestParam MultiValueMap<String, String> form, Model page) {
    Map<String, String> values = FormValues.of(form);
    Map<String, String> errors = new LinkedHashMap<>();
    ObjectNode request = submission(values, errors);
    ServiceClient.Answer answer = services.post("training", "/api/v1/training/jobs?dryRun=true", request.toString());
    String summary = null;
    if (!answer.ok()) {
      // what the dashboard could not even parse stays the message of its field
      Problems.fieldMessages(answer).forEach(errors::putIfAbsent);
      summary = Problems.detail(answer);
    } else if (errors.isEmpty()) {
      JsonNode budget = answer.body().path("spec").path("budget");
      summary = "Valid: " + budget.path("maxSteps").asString() + " steps, batch " + budget.path("batchSize").asString()
          + ", learning rate " + budget.path("learningRate").asString() + ", seed " + budget.path("seed").asString() + ".";
    }
    Map<String, String> byField = new LinkedHashMap<>();
    errors.forEach((field, message) -> byField.merge(formField(field), message, (a, b) -> a + "; " + b));
    Map<String, String> slots = new LinkedHashMap<>();
    for (String field : formFields(values)) {
      slots.put(errorSlot(field), byField.getOrDefault(field, ""));
    }
    Map<String, String> elsewhere = new LinkedHashMap<>();
    byField.forEach((field, message) -> {
      if (!slots.containsKey(errorSlot(field))) {
        elsewhere.put(field, message);
      }
    });
    page.addAttribute("valid", errors.isEmpty() && answer.ok());
    page.addAttribute("summary", summary);
    page.addAttribute("slots", slots);
    page.addAttribute("elsewhere", elsewhere);
    return "job-new :: validation";
  }

  /** The form's fields (in the error vocabulary of {@link #formField}) that have an error slot on the page. */
  private static List<String> formFields(Map<String, String> values) {
    String algorithm = values.getOrDefault("algorithm", "");
    List<String> fields = new ArrayList<>(List.of("displayName", "model", "dataset", "budget.maxSteps", "budget.batchSize",
        "budget.learningRate"));
    switch (algorithm) {
      case "distillation" -> fields.addAll(List.of("method.teacherModel", "method.divergence", "method.temperature"));
      case "f_dpo" -> fields.addAll(List.of("method.referenceModel", "method.divergence", "method.beta"));
      default -> fields.add("method");
    }
    // the chosen divergence's parameter inputs are in the posted form (htmx sends empty ones too), so
    // the registry need not be asked again on every keystroke
    if (GUIDED.contains(algorithm)) {
      values.keySet().stream().filter(name -> name.startsWith("divergence.")).forEach(name -> fields.add("method." + name));
    }
    return fields;
  }

  /**
   * The id of a field's error slot on the page: the form field's name after its last dot, the
   * divergence's parameters as {@code divergence-<name>} (no dots, so the id works as a selector).
   */
  static String errorSlot(String field) {
    if (field.startsWith("method.divergence.")) {
      return "error-divergence-" + field.substring("method.divergence.".length());
    }
    return "error-" + field.substring(field.lastIndexOf('.') + 1);
  }

  /** The submission body the form describes: its display name, if any, and the spec. */
  private ObjectNode submission(Map<String, String> values, Map<String, String> errors) {
    ObjectNode request = JSON.createObjectNode();
    String displayName = values.getOrDefault("displayName", "").strip();
    if (!displayName.isEmpty()) {
      request.put("displayName", displayName);
    }
    request.set("spec", spec(values, errors));
    return request;
  }

  /** The job spec the form describes; fields the dashboard cannot even turn into JSON land in {@code errors}. */
  private ObjectNode spec(Map<String, String> values, Map<String, String> errors) {
    String algorithm = values.getOrDefault("algorithm", "");
    ObjectNode spec = JSON.createObjectNode();
    spec.put("algorithm", algorithm);
    putText(spec, "model", values.get("model"));
    putText(spec, "dataset", values.get("dataset"));
    ObjectNode budget = spec.putObject("budget");
    putNumber(budget, "maxSteps", values.get("maxSteps"), "budget.maxSteps", errors, true);
    putNumber(budget, "batchSize", values.get("batchSize"), "budget.batchSize", errors, true);
    putNumber(budget, "learningRate", values.get("learningRate"), "budget.learningRate", errors, false);
    ObjectNode divergence = JSON.createObjectNode();
    putText(divergence, "name", values.get("divergence"));
    for (String parameter : List.of("alpha", "beta")) {
      putNumber(divergence, parameter, values.get("divergence." + parameter), "method.divergence." + parameter, errors, false);
    }
    switch (algorithm) {
      case "distillation" -> {
        ObjectNode method = spec.putObject("distillation");
        putText(method, "teacherModel", values.get("teacherModel"));
        method.set("divergence", divergence);
        putNumber(method, "temperature", values.get("temperature"), "method.temperature", errors, false);
      }
      case "f_dpo" -> {
        ObjectNode method = spec.putObject("fDpo");
        putText(method, "referenceModel", values.get("referenceModel"));
        method.set("divergence", divergence);
        putNumber(method, "beta", values.get("beta"), "method.beta", errors, false);
      }
      default -> {
        String block = values.getOrDefault("methodJson", "").strip();
        if (!block.isEmpty()) {
          try {
            spec.set(methodField(algorithm), JSON.readTree(block));
          } catch (RuntimeException e) {
            errors.put("method", "is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
          }
        }
      }
    }
    return spec;
  }

  /**
   * The form's name for a field the service named: the method block's fields as {@code method.*}
   * whichever algorithm it is, and a divergence by its name field as the divergence.
   */
  static String formField(String serviceField) {
    String field = serviceField.replaceFirst("^(distillation|fDpo|fDpg|rlvr|supervised)\\.", "method.");
    return field.equals("method.divergence.name") ? "method.divergence" : field;
  }

  static String methodField(String algorithm) {
    return switch (algorithm) {
      case "f_dpg" -> "fDpg";
      case "f_dpo" -> "fDpo";
      default -> algorithm;
    };
  }

  private void fill(Model page, Map<String, String> values, Map<String, String> errors, String problem) {
    Map<String, JsonNode> divergences = divergences();
    Map<String, String> byField = new LinkedHashMap<>();
    errors.forEach((field, message) -> byField.merge(formField(field), message, (a, b) -> a + "; " + b));
    page.addAttribute("values", values);
    page.addAttribute("errors", byField);
    page.addAttribute("problem", problem);
    page.addAttribute("algorithms", JobPagesController.ALGORITHMS);
    page.addAttribute("guided", GUIDED.contains(values.getOrDefault("algorithm", "")));
    page.addAttribute("models", modelNames());
    page.addAttribute("datasets", datasetNames());
    page.addAttribute("divergences", divergences);
    page.addAttribute("chosen", divergences.get(values.getOrDefault("divergence", "")));
  }

  private List<String> modelNames() {
    ServiceClient.Answer answer = services.get("training", "/api/v1/training/models");
    Set<String> names = new LinkedHashSet<>();
    answer.body().path("builtIn").forEach(name -> names.add(name.asString()));
    answer.body().path("models").forEach(model -> names.add(model.path("name").asString()));
    return new ArrayList<>(names);
  }

  private List<String> datasetNames() {
    ServiceClient.Answer answer = services.get("training", "/api/v1/training/datasets");
    List<String> names = new ArrayList<>();
    answer.body().forEach(dataset -> names.add(dataset.path("name").asString()));
    return names;
  }

  /** The platform's divergence registry (evaluation's vocabulary): name → description and parameters. */
  private Map<String, JsonNode> divergences() {
    ServiceClient.Answer answer = services.get("evaluation", "/api/v1/evaluation/metrics/divergences");
    Map<String, JsonNode> out = new LinkedHashMap<>();
    answer.body().forEach(entry -> out.put(entry.path("name").asString(), entry));
    return out;
  }

  private static void putText(ObjectNode node, String field, String value) {
    if (value != null && !value.isBlank()) {
      node.put(field, value.strip());
    }
  }

  private static void putNumber(ObjectNode node, String field, String value, String errorKey, Map<String, String> errors,
      boolean whole) {
    if (value == null || value.isBlank()) {
      return;
    }
    try {
      if (whole) {
        node.put(field, Long.parseLong(value.strip()));
      } else {
        node.put(field, Double.parseDouble(value.strip()));
      }
    } catch (NumberFormatException e) {
      errors.put(errorKey, "must be " + (whole ? "a whole number" : "a number") + ", got '" + value + "'");
    }
  }
}
