package dev.divergence.gateway.dashboard;

import dev.divergence.gateway.auth.ApiKeyService;
import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.tenancy.CallerIdentity;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Optional;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** Signing in to the dashboard with an API key; the session then stands for the key's caller. */
@Controller
class SignInController {

  private final ApiKeyService keys;
  private final SecurityContextRepository sessions;

  SignInController(ApiKeyService keys, SecurityContextRepository dashboardSessions) {
    this.keys = keys;
    this.sessions = dashboardSessions;
  }

  @GetMapping({"/", "/ui"})
  String home() {
    return "redirect:/ui/jobs";
  }

  @GetMapping(DashboardSecurityConfiguration.SIGN_IN)
  String form() {
    return "sign-in";
  }

  @PostMapping(DashboardSecurityConfiguration.SIGN_IN)
  String signIn(@RequestParam(name = "apiKey", defaultValue = "") String apiKey, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    Optional<CallerIdentity> caller = keys.authenticate(apiKey.strip());
    if (caller.isEmpty()) {
      model.addAttribute("error", apiKey.isBlank() ? "Enter an API key." : "That API key is unknown, revoked or expired.");
      response.setStatus(401);
      return "sign-in";
    }
    if (request.getSession(false) != null) {
      request.changeSessionId();
    }
    var context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(new CallerAuthentication(caller.get(), "api-key"));
    SecurityContextHolder.setContext(context);
    sessions.saveContext(context, request, response);
    return "redirect:/ui/jobs";
  }
}
