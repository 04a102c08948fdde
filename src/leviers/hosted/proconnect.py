"""ProConnect, the State's OpenID Connect federation for public agents: an authorization-code
client with PKCE, state and nonce, the id_token and the userinfo JWT checked against the
provider's keys (issuer, audience, expiry, signature).

The protocol pieces come from Authlib (request and token parameters, PKCE) and joserfc (JWT
signature and claims); what is ProConnect's own (docs: partenaires.proconnect.gouv.fr, « Implémentation
technique ») is: scopes named after the claims (`openid email given_name usual_name siret`), the
client secret sent in the body (client_secret_post), the userinfo answered as a signed JWT
(application/jwt), and the logout by redirecting the browser to end_session_endpoint with
id_token_hint, state and post_logout_redirect_uri.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from leviers.errors import LeviersError
from leviers.hosted.settings import SigninSettings

CALLBACK_PATH = "/connexion/proconnect/retour"
LOGOUT_CALLBACK_PATH = "/deconnexion/proconnect"
# Asymmetric signatures only: a token signed with the shared secret (HS256) could be forged by
# anyone holding the client secret.
ALGORITHMS = ["RS256", "ES256", "PS256"]
LEEWAY_S = 30
METADATA_TTL_S = 3600


class SigninFailed(LeviersError):
    """A ProConnect sign-in that did not succeed; `kind` says why, the message says it in French."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # refusee, expiree, invalide, indisponible


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    given_name: str | None
    usual_name: str | None
    siret: str | None
    id_token: str


class ProConnect:
    def __init__(self, settings: SigninSettings, http: httpx.Client | None = None) -> None:
        assert settings.proconnect_issuer
        assert settings.proconnect_client_id
        self.settings = settings
        self.issuer = settings.proconnect_issuer
        self.client_id = settings.proconnect_client_id
        self.http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    @property
    def redirect_uri(self) -> str:
        return self.settings.url(CALLBACK_PATH)

    # --- discovery and keys -------------------------------------------------------------------
    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = self.http.get(url, headers={"Accept": "application/json"})
            answer.raise_for_status()
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SigninFailed(
                "indisponible", "ProConnect ne répond pas : réessayez dans un instant."
            ) from exc
        if not isinstance(data, dict):
            raise SigninFailed("indisponible", "ProConnect a répondu de façon inattendue.")
        return data

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata[0] < METADATA_TTL_S:
                return self._metadata[1]
        found = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the document must name the issuer it was asked for.
        if found.get("issuer") != self.issuer:
            raise SigninFailed(
                "invalide", "la configuration de ProConnect ne correspond pas à l'émetteur attendu."
            )
        with self._lock:
            self._metadata = (time.monotonic(), found)
        return found

    def keys(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            self._keys = KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        return self._keys

    def _decode(self, token: str) -> jwt.Token:
        try:
            return jwt.decode(token, self.keys(), algorithms=ALGORITHMS)
        except JoseError:
            # A key rotated since the keys were read: read them again, once.
            try:
                return jwt.decode(token, self.keys(refresh=True), algorithms=ALGORITHMS)
            except (JoseError, ValueError) as exc:
                raise SigninFailed(
                    "invalide", "la signature de la réponse de ProConnect est invalide."
                ) from exc

    # --- the flow ------------------------------------------------------------------------------
    def start(self) -> tuple[str, dict[str, Any]]:
        """The address to send the browser to, and what the session keeps to check the return."""
        meta = self.metadata()
        flow = {"state": generate_token(48), "nonce": generate_token(48), "at": time.time()}
        extra: dict[str, Any] = {"nonce": flow["nonce"]}
        if "S256" in meta.get("code_challenge_methods_supported", []):
            flow["verifier"] = generate_token(64)
            extra.update(
                code_challenge=create_s256_code_challenge(flow["verifier"]), code_challenge_method="S256"
            )
        if self.settings.proconnect_acr_values:
            extra["acr_values"] = self.settings.proconnect_acr_values
        url = prepare_grant_uri(
            meta["authorization_endpoint"],
            self.client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=self.settings.proconnect_scopes,
            state=flow["state"],
            **extra,
        )
        return url, flow

    def finish(self, flow: dict[str, Any] | None, params: dict[str, str]) -> Identity:
        """Check the return to redirect_uri against the session's flow, exchange the code and read
        the identity. SigninFailed otherwise."""
        if not flow or "state" not in flow:
            raise SigninFailed("expiree", "aucune connexion ProConnect n'était en cours dans ce navigateur.")
        if time.time() - float(flow.get("at", 0)) > self.settings.flow_max_age_s:
            raise SigninFailed("expiree", "la connexion a pris trop de temps.")
        state = params.get("state") or ""
        if not state or not _same(state, flow["state"]):
            raise SigninFailed("invalide", "la réponse de ProConnect ne correspond pas à cette connexion.")
        error = params.get("error")
        if error:
            if error in ("access_denied", "login_required", "consent_required"):
                raise SigninFailed("refusee", "la connexion a été refusée chez ProConnect.")
            raise SigninFailed("invalide", "ProConnect a signalé une erreur.")
        if "iss" in params and params["iss"] != self.issuer:  # RFC 9207, when the provider sends it
            raise SigninFailed("invalide", "la réponse vient d'un autre émetteur que ProConnect.")
        code = params.get("code")
        if not code:
            raise SigninFailed("invalide", "la réponse de ProConnect ne contient pas de code.")
        tokens = self._exchange(code, flow.get("verifier"))
        id_token = tokens.get("id_token")
        access_token = tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SigninFailed("invalide", "ProConnect n'a pas renvoyé de jeton d'identité.")
        claims = self.check_id_token(id_token, nonce=flow["nonce"])
        info = self.userinfo(access_token, subject=str(claims["sub"]))
        email = info.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise SigninFailed("invalide", "ProConnect n'a pas transmis d'adresse électronique.")
        return Identity(
            subject=str(claims["sub"]),
            email=email.strip().lower(),
            given_name=_text(info.get("given_name")),
            usual_name=_text(info.get("usual_name")),
            siret=_text(info.get("siret")),
            id_token=id_token,
        )

    def _exchange(self, code: str, verifier: str | None) -> dict[str, Any]:
        extra = {"code_verifier": verifier} if verifier else {}
        body = prepare_token_request(
            "authorization_code",
            redirect_uri=self.redirect_uri,
            code=code,
            client_id=self.client_id,
            client_secret=self.settings.proconnect_client_secret,
            **extra,
        )
        try:
            answer = self.http.post(
                self.metadata()["token_endpoint"],
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise SigninFailed(
                "indisponible", "ProConnect ne répond pas : réessayez dans un instant."
            ) from exc
        if answer.status_code != 200:
            # An expired or reused code (ProConnect's last 30 seconds) lands here.
            raise SigninFailed(
                "expiree", "ProConnect a refusé le code de connexion (expiré ou déjà utilisé)."
            )
        data = answer.json()
        return data if isinstance(data, dict) else {}

    def check_id_token(self, id_token: str, *, nonce: str, now: int | None = None) -> dict[str, Any]:
        """The id_token's claims once its signature, issuer, audience, expiry and nonce are checked
        (`now`, seconds since the epoch: the current time when None)."""
        token = self._decode(id_token)
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            name = getattr(exc, "claim", "") or ""
            if exc.error == "expired_token":
                raise SigninFailed("expiree", "le jeton d'identité de ProConnect a expiré.") from exc
            raise SigninFailed(
                "invalide", f"jeton d'identité refusé ({exc.error} {name}).".replace(" )", ")")
            ) from exc
        aud = token.claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and token.claims.get("azp") != self.client_id:
            raise SigninFailed("invalide", "jeton d'identité destiné à un autre service.")
        return dict(token.claims)

    def userinfo(self, access_token: str, *, subject: str) -> dict[str, Any]:
        try:
            answer = self.http.get(
                self.metadata()["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
            )
        except httpx.HTTPError as exc:
            raise SigninFailed(
                "indisponible", "ProConnect ne répond pas : réessayez dans un instant."
            ) from exc
        if answer.status_code != 200:
            raise SigninFailed("invalide", "ProConnect a refusé de transmettre l'identité.")
        if answer.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            token = self._decode(answer.text.strip())
            registry = jwt.JWTClaimsRegistry(
                leeway=LEEWAY_S,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
            )
            try:
                registry.validate(token.claims)
            except JoseError as exc:
                raise SigninFailed("invalide", "identité transmise par ProConnect refusée.") from exc
            info = dict(token.claims)
        else:
            info = answer.json()
        # OpenID Connect Core §5.3.2: the userinfo subject must be the id_token's.
        if not isinstance(info, dict) or info.get("sub") != subject:
            raise SigninFailed("invalide", "l'identité transmise ne correspond pas au jeton d'identité.")
        return info

    def logout_url(self, id_token: str, state: str) -> str | None:
        endpoint = self.metadata().get("end_session_endpoint")
        if not endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "state": state,
                "post_logout_redirect_uri": self.settings.url(LOGOUT_CALLBACK_PATH),
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _text(value: Any) -> str | None:
    return value.strip()[:200] if isinstance(value, str) and value.strip() else None
