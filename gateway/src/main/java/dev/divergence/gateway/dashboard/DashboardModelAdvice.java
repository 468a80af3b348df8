package dev.divergence.gateway.dashboard;

import dev.divergence.gateway.auth.CallerAuthentication;
import dev.divergence.platform.tenancy.Roles;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * What every dashboard page shows: who is signed in, in which tenant, and what they may do; and a
 * service that does not answer becomes a banner naming it instead of an error page.
 */
@ControllerAdvice(assignableTypes = {JobPagesController.class, SubmitJobController.class, SystemPageController.class,
    RegistryPagesController.class, PlaygroundController.class,
    ResultPagesController.class, TenantController.class})
class DashboardModelAdvice {

  @ModelAttribute
  void caller(Model model) {
    CallerAuthentication.current().ifPresent(caller -> {
      model.addAttribute("caller", caller);
      model.addAttribute("maySubmit", Roles.includes(caller.roles(), Roles.SUBMITTER));
    });
    // a user of several tenants gets the header's tenant selector
    CallerAuthentication.currentAuthentication().ifPresent(caller -> model.addAttribute("callerTenants", caller.tenants()));
  }

  @ExceptionHandler(ServiceClient.ServiceDownException.class)
  String serviceDown(ServiceClient.ServiceDownException down, Model model, jakarta.servlet.http.HttpServletResponse response) {
    caller(model);
    model.addAttribute("downService", down.service());
    response.setStatus(503);
    return "service-down";
  }
}
