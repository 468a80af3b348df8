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

/**
 * Signing in to the dashboard with an API key, or through the OIDC provider when one is configured
 * (the flow itself is Spring Security's, see {@link DashboardSecurityConfiguration}); the session then
 * stands for that caller.
 */
@Controller
class SignInController {

  private final ApiKeyService keys;
  private final SecurityContextRepository sessions;
  private final org.springframework.beans.factory.ObjectProvider<OidcSignIn> oidc;

  SignInController(ApiKeyService keys, SecurityContextRepository dashboardSessions,
      org.springframework.beans.factory.ObjectProvider<OidcSignIn> oidc) {
    this.keys = keys;
    this.sessions = dashboardSessions;
    this.oidc = oidc;
  }

  /** The provider's name for the "Sign in with ..." button; absent when none is configured. */
  @org.springframework.web.bind.annotation.ModelAttribute("oidcProvider")
  String oidcProvider() {
    OidcSignIn signIn = oidc.getIfAvailable();
    return signIn == null ? null : signIn.providerName();
  }

  @GetMapping({"/", "/ui"})
  String home() {
    return "redirect:/ui/jobs";
  }

  @GetMapping(DashboardSecurityConfiguration.SIGN_IN)
  String form(HttpServletRequest request, Model model) {
    if (request.getParameter("failed") != null) {
      var session = request.getSession(false);
      Object failure = session == null ? null : session.getAttribute(org.springframework.security.web.WebAttributes.AUTHENTICATION_EXCEPTION);
      if (session != null) {
        session.removeAttribute(org.springframework.security.web.WebAttributes.AUTHENTICATION_EXCEPTION);
      }
      model.addAttribute("error", failureMessage(failure));
    }
    return "sign-in";
  }

  /**
   * The button's target: checks that the provider answers before sending the browser there, so a
   * provider that is down is a message here rather than a dead page at the provider.
   */
  @GetMapping(DashboardSecurityConfiguration.SIGN_IN + "/oidc")
  String signInThroughProvider(Model model, HttpServletResponse response) {
    OidcSignIn signIn = oidc.getIfAvailable();
    if (signIn == null) {
      model.addAttribute("error", "No sign-in provider is configured; sign in with an API key.");
      response.setStatus(404);
      return "sign-in";
    }
    try {
      signIn.refresh();
    } catch (OidcSignIn.ProviderUnavailableException down) {
      model.addAttribute("error", down.getMessage());
      response.setStatus(503);
      return "sign-in";
    }
    return "redirect:" + OidcSignIn.AUTHORIZATION_BASE + "/" + OidcSignIn.REGISTRATION_ID;
  }

  /** Why a sign-in through the provider failed, in words (the exception's own, never its stack). */
  private String failureMessage(Object failure) {
    String provider = oidcProvider() == null ? "the provider" : oidcProvider();
    for (Throwable cause = failure instanceof Throwable thrown ? thrown : null; cause != null; cause = cause.getCause()) {
      if (cause instanceof OidcSignIn.ProviderUnavailableException down) {
        return down.getMessage();
      }
      if (cause instanceof org.springframework.security.oauth2.core.OAuth2AuthenticationException refused
          && refused.getError() != null && refused.getError().getDescription() != null) {
        return "Signing in through " + provider + " failed: " + refused.getError().getDescription();
      }
    }
    return "Signing in through " + provider + " failed" + (failure instanceof Throwable thrown && thrown.getMessage() != null
        ? ": " + thrown.getMessage() : ".");
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
