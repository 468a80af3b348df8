package dev.divergence.gateway.dashboard;

import dev.divergence.gateway.auth.CallerAuthentication;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Switching the tenant a multi-tenant user acts for: every service call after the switch is made for
 * the chosen tenant (the session's caller changes, and {@link ServiceClient} signs each call with it).
 * Only the user's own tenants can be chosen, as on the API ({@code X-Divergence-Tenant}).
 */
@Controller
class TenantController {

  static final String PATH = "/ui/tenant";

  private final SecurityContextRepository sessions;

  TenantController(SecurityContextRepository dashboardSessions) {
    this.sessions = dashboardSessions;
  }

  @PostMapping(PATH)
  String switchTenant(@RequestParam(name = "tenant", defaultValue = "") String tenant, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    CallerAuthentication caller = CallerAuthentication.currentAuthentication().orElseThrow();
    CallerAuthentication switched;
    try {
      switched = caller.actingFor(tenant.strip());
    } catch (CallerAuthentication.TenantNotAllowedException notMember) {
      model.addAttribute("error", "You cannot switch to tenant '" + tenant + "': you are a member of "
          + String.join(", ", caller.tenants()) + " only.");
      response.setStatus(403);
      return "tenant-refused";
    }
    var context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(switched);
    SecurityContextHolder.setContext(context);
    sessions.saveContext(context, request, response);
    return "redirect:/ui/jobs";
  }
}
