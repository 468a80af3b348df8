package dev.divergence.gateway.dashboard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import tools.jackson.databind.JsonNode;

/**
 * The model and dataset registries (the models' lineage drawn as a graph), the inference service's
 * serving state with load / unload, and JSONL dataset uploads with the service's record-by-record report.
 */
@Controller
class RegistryPagesController {

  static final List<String> DATASET_KINDS = List.of("text", "preference", "classification", "verifiable");

  private final ServiceClient services;

  RegistryPagesController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/models")
  String models(Model page) {
    ServiceClient.Answer answer = services.get("training", "/api/v1/training/models");
    List<JsonNode> models = answer.items("models");
    List<String> builtIn = new ArrayList<>();
    answer.body().path("builtIn").forEach(name -> builtIn.add(name.asString()));
    page.addAttribute("models", models);
    page.addAttribute("builtIn", builtIn);
    LineageGraph lineage = LineageGraph.of(models);
    page.addAttribute("lineageJson", lineage.toJson());
    page.addAttribute("lineageEdges", lineage.edges().size());
    fillServing(page);
    return "models";
  }

  /** The inference service's models and their serving state; the registry stays readable while inference is down. */
  private void fillServing(Model page) {
    List<JsonNode> served = new ArrayList<>();
    try {
      ServiceClient.Answer answer = services.get("inference", "/api/v1/inference/models");
      if (answer.ok() && answer.body().isArray()) {
        served.addAll(answer.items());
      } else {
        page.addAttribute("servingError", Problems.detail(answer));
      }
    } catch (ServiceClient.ServiceDownException down) {
      page.addAttribute("servingDown", down.service());
    }
    page.addAttribute("served", served);
  }

  @PostMapping("/ui/models/{name}/load")
  String load(@PathVariable String name, RedirectAttributes flash) {
    return changeServing(name, "load", flash);
  }

  @PostMapping("/ui/models/{name}/unload")
  String unload(@PathVariable String name, RedirectAttributes flash) {
    return changeServing(name, "unload", flash);
  }

  /** Asks the inference service, as the signed-in user, to load or unload; its refusal is shown in its own words. */
  private String changeServing(String name, String action, RedirectAttributes flash) {
    ServiceClient.Answer answer = services.post("inference",
        "/api/v1/inference/models/" + JobPagesController.encode(name) + "/" + action, "");
    if (!answer.ok()) {
      flash.addFlashAttribute("error", Problems.detail(answer));
    } else if ("FAILED".equals(answer.body().path("state").asString())) {
      flash.addFlashAttribute("error", name + " could not be loaded: " + answer.body().path("message").asString("no reason given"));
    } else {
      flash.addFlashAttribute("notice", name + " is " + answer.body().path("state").asString() + ".");
    }
    return "redirect:/ui/models#serving";
  }

  @GetMapping("/ui/datasets")
  String datasets(Model page) {
    fillDatasets(page);
    return "datasets";
  }

  @PostMapping("/ui/datasets")
  String upload(@RequestParam(defaultValue = "") String name, @RequestParam(defaultValue = "") String kind,
      @RequestParam(required = false) MultipartFile file, Model page) throws IOException {
    page.addAttribute("uploadName", name);
    page.addAttribute("uploadKind", kind);
    if (file == null || file.isEmpty()) {
      page.addAttribute("uploadError", "Choose a JSON Lines file to upload.");
    } else {
      ServiceClient.Answer answer = services.post("training", "/api/v1/training/datasets?name="
          + JobPagesController.encode(name.strip()) + "&kind=" + JobPagesController.encode(kind), "application/x-ndjson", file.getBytes());
      if (answer.ok()) {
        page.addAttribute("uploaded", answer.body().path("name").asString() + " (" + answer.body().path("records").asLong()
            + " records)");
      } else {
        page.addAttribute("uploadError", Problems.detail(answer));
        page.addAttribute("uploadReport", Problems.fieldMessages(answer));
      }
    }
    fillDatasets(page);
    return "datasets";
  }

  private void fillDatasets(Model page) {
    ServiceClient.Answer answer = services.get("training", "/api/v1/training/datasets");
    page.addAttribute("datasets", answer.items());
    page.addAttribute("kinds", DATASET_KINDS);
  }
}
