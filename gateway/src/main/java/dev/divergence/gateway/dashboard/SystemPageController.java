package dev.divergence.gateway.dashboard;

import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** The platform's state: every service's readiness as its own probe reports it. */
@Controller
class SystemPageController {

  public record ServiceHealth(String name, String status, String detail) {
    public boolean up() {
      return "UP".equals(status);
    }
  }

  private final ServiceClient services;

  SystemPageController(ServiceClient services) {
    this.services = services;
  }

  @GetMapping("/ui/system")
  String system(Model page) {
    List<ServiceHealth> health = new ArrayList<>();
    for (String service : services.services()) {
      try {
        ServiceClient.Answer answer = services.health(service);
        health.add(new ServiceHealth(service, answer.body().path("status").asString("UNKNOWN"),
            "readiness answered " + answer.status()));
      } catch (ServiceClient.ServiceDownException down) {
        health.add(new ServiceHealth(service, "DOWN", "no answer: " + down.getCause().getClass().getSimpleName()));
      }
    }
    page.addAttribute("health", health);
    return "system";
  }
}
