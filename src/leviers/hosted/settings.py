"""Settings of hosted mode's sign-in, read from the environment of the server (secrets never go
through the command line nor the settings passed to worker processes)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from leviers.hosted.database import resolve_dsn
from leviers.hosted.errors import HostedStoreError

PROCONNECT_SCOPES = "openid email given_name usual_name siret"


@dataclass(frozen=True)
class SigninSettings:
    dsn: str
    # The address users reach the site at (https://…): the e-mail links and ProConnect's
    # redirect_uri are built from it, never from the request's Host header.
    public_url: str
    # Sessions: closed after this long without a request, and this long after sign-in whatever.
    session_idle_s: int = 2 * 3600
    session_absolute_s: int = 12 * 3600
    # A sign-in under way (form shown, ProConnect redirection) must end within this time.
    flow_max_age_s: int = 600
    # The session of a visitor not signed in (it holds the sign-in forms' CSRF token) lasts this long.
    visitor_session_s: int = 3600
    # E-mail sign-in links are valid this long, once.
    link_ttl_s: int = 15 * 60
    # Sign-in attempts allowed per client address and per e-mail address within the window.
    attempts_per_address: int = 20
    attempts_per_email: int = 5
    attempts_window_s: int = 15 * 60
    # SMTP server sending the sign-in links (None: e-mail sign-in is not offered).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str | None = None
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    # ProConnect (None issuer: not offered). The issuer is the discovery document's « issuer »,
    # e.g. https://auth.agentconnect.gouv.fr/api/v2.
    proconnect_issuer: str | None = None
    proconnect_client_id: str | None = None
    proconnect_client_secret: str | None = None
    proconnect_scopes: str = PROCONNECT_SCOPES
    proconnect_acr_values: str | None = None

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_sender)

    @property
    def proconnect_enabled(self) -> bool:
        return bool(self.proconnect_issuer and self.proconnect_client_id and self.proconnect_client_secret)

    def url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> SigninSettings:
        """LEVIERS_POSTGRES, LEVIERS_URL_PUBLIQUE, LEVIERS_SMTP_*, LEVIERS_PROCONNECT_* (docs/hosted.md)."""
        e = dict(os.environ if env is None else env)
        public_url = e.get("LEVIERS_URL_PUBLIQUE")
        if not public_url or not public_url.startswith(("https://", "http://localhost", "http://127.0.0.1")):
            raise HostedStoreError(
                "mode hébergé : définissez LEVIERS_URL_PUBLIQUE, l'adresse https:// du site "
                "(les liens de connexion et le retour de ProConnect en dépendent)."
            )

        def number(name: str, default: int) -> int:
            raw = e.get(name)
            if raw is None or raw == "":
                return default
            if not raw.isdigit():
                raise HostedStoreError(f"mode hébergé : {name} doit être un nombre entier (reçu « {raw} »).")
            return int(raw)

        return cls(
            dsn=resolve_dsn(e.get("LEVIERS_POSTGRES")),
            public_url=public_url,
            session_idle_s=number("LEVIERS_SESSION_INACTIVITE_S", cls.session_idle_s),
            session_absolute_s=number("LEVIERS_SESSION_DUREE_S", cls.session_absolute_s),
            smtp_host=e.get("LEVIERS_SMTP_HOTE") or None,
            smtp_port=number("LEVIERS_SMTP_PORT", cls.smtp_port),
            smtp_sender=e.get("LEVIERS_SMTP_EXPEDITEUR") or None,
            smtp_starttls=e.get("LEVIERS_SMTP_STARTTLS") == "1",
            smtp_user=e.get("LEVIERS_SMTP_UTILISATEUR") or None,
            smtp_password=e.get("LEVIERS_SMTP_MOT_DE_PASSE") or None,
            proconnect_issuer=e.get("LEVIERS_PROCONNECT_EMETTEUR") or None,
            proconnect_client_id=e.get("LEVIERS_PROCONNECT_CLIENT_ID") or None,
            proconnect_client_secret=e.get("LEVIERS_PROCONNECT_CLIENT_SECRET") or None,
            proconnect_acr_values=e.get("LEVIERS_PROCONNECT_ACR") or None,
        )
