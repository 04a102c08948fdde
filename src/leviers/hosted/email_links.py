"""Sign-in by e-mail link: a single-use token, stored hashed, valid 15 minutes, sent by SMTP.

A link is sent only to an existing account; whoever asks gets the same answer either way, and the
message is sent after the answer (the page's timing tells nothing either).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from email.message import EmailMessage

import psycopg

from leviers.hosted.sessions import token_hash
from leviers.hosted.settings import SigninSettings

log = logging.getLogger("leviers.hosted")

LINK_PATH = "/connexion/lien/"


def issue(conn: psycopg.Connection, email: str, ttl_s: int) -> str | None:
    """A new link token for the account of `email`, or None when there is no such account."""
    row = conn.execute("SELECT id FROM accounts WHERE email = %s", [email.strip().lower()]).fetchone()
    if row is None:
        return None
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM signin_links WHERE expires_at < now() - interval '1 day'")
    conn.execute(
        "INSERT INTO signin_links (token_hash, account_id, expires_at) "
        "VALUES (%s, %s, now() + make_interval(secs => %s))",
        [token_hash(token), row[0], ttl_s],
    )
    return token


def consume(conn: psycopg.Connection, token: str) -> int | None:
    """The account the link signs in, once: None when unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        "UPDATE signin_links SET used_at = now() WHERE token_hash = %s AND used_at IS NULL "
        "AND expires_at > now() RETURNING account_id",
        [token_hash(token)],
    ).fetchone()
    return None if row is None else int(row[0])


def is_valid(conn: psycopg.Connection, token: str) -> bool:
    if not token or len(token) > 100:
        return False
    row = conn.execute(
        "SELECT 1 FROM signin_links WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()",
        [token_hash(token)],
    ).fetchone()
    return row is not None


def message(settings: SigninSettings, email: str, token: str) -> EmailMessage:
    minutes = settings.link_ttl_s // 60
    link = settings.url(LINK_PATH + token)
    mail = EmailMessage()
    mail["Subject"] = "Votre lien de connexion à Leviers"
    mail["From"] = settings.smtp_sender or ""
    mail["To"] = email
    mail.set_content(
        "Bonjour,\n\n"
        f"Pour vous connecter à Leviers, ouvrez ce lien dans les {minutes} minutes :\n\n{link}\n\n"
        "Il ne sert qu'une fois. Si vous n'avez pas demandé à vous connecter, ignorez ce message : "
        "personne ne peut se connecter sans ce lien.\n\n— Leviers\n"
    )
    return mail


def send(settings: SigninSettings, email: str, token: str) -> None:
    """Send the link; a failure is logged (without the address) and the user may ask again."""
    assert settings.smtp_host is not None
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message(settings, email, token))
    except (OSError, smtplib.SMTPException) as exc:
        log.error("envoi du lien de connexion impossible (%s)", type(exc).__name__)
