"""Reminders for late reports: one French e-mail per operator whose reports are missing
past their deadline, with its pre-filled template attached.

The coordinator downloads them as `.eml` files (one zip) and opens them in a mail client
(`X-Unsent: 1`: Outlook opens them as drafts to send), or, when a mail server is
configured (ARDENNE_SMTP_HOST...), an administrator sends them from Suivi; every sending is
recorded (db/reminders.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import smtplib
import ssl
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol, cast

import duckdb
import pandas as pd

from ardenne_kpi.core import links, settings
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.periods import Period, label_of, period_from_code
from ardenne_kpi.db import reminders as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import review, templates
from ardenne_kpi.intake.locks import Lock
from ardenne_kpi.reporting.follow_up import Timeliness

# A reminder without an address: short, so the table's other columns stay on a projector's screen.
MISSING_ADDRESS = "à compléter"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SENDER = str(settings.SETTINGS["ARDENNE_SMTP_FROM"].default)


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server, from the environment: ARDENNE_SMTP_HOST (required to send),
    ARDENNE_SMTP_PORT (587), ARDENNE_SMTP_SECURITY (starttls | ssl | none, default starttls),
    ARDENNE_SMTP_USER and ARDENNE_SMTP_PASSWORD (optional), ARDENNE_SMTP_FROM (the sender)."""

    host: str
    port: int
    security: str
    user: str
    password: str
    sender: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings, or None when no server is configured (reminders are then downloaded)."""
        if env is None:
            env = {
                name: value
                for name in settings.SETTINGS
                if name.startswith("ARDENNE_SMTP_") and (value := settings.raw(name))
            }
        host = env.get("ARDENNE_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("ARDENNE_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "ssl", "none"):
            raise ArdenneError(
                f"ARDENNE_SMTP_SECURITY vaut « {security} » : écrivez starttls, ssl ou none.",
                title="Serveur de courrier mal configuré",
            )
        port = env.get("ARDENNE_SMTP_PORT", "465" if security == "ssl" else "587").strip()
        if not port.isdigit():
            raise ArdenneError(
                f"ARDENNE_SMTP_PORT vaut « {port} » : écrivez un numéro de port (587, 465, 25).",
                title="Serveur de courrier mal configuré",
            )
        return cls(
            host=host,
            port=int(port),
            security=security,
            user=env.get("ARDENNE_SMTP_USER", ""),
            password=env.get("ARDENNE_SMTP_PASSWORD", ""),
            sender=env.get("ARDENNE_SMTP_FROM", "").strip() or DEFAULT_SENDER,
        )


@dataclass(frozen=True)
class Reminder:
    """One operator's reminder: its missing reports and the message that asks for them."""

    operator: str
    recipient: str  # '' when the framework has no address for the operator
    period: Period
    missing: pd.DataFrame  # indicator, label, period, period_label, deadline, places (missing part, or '')
    message: EmailMessage

    @property
    def file_name(self) -> str:
        return f"relance_{self.operator}_{self.period.code}.eml"

    def eml(self) -> bytes:
        return bytes(self.message)


def missing_reports(items: pd.DataFrame, window: Period) -> pd.DataFrame:
    """Report items (reporting.report_items) of periods ending in `window` still missing past their deadline."""
    inside = items[(items["period_end"] >= window.start) & (items["period_end"] <= window.end)]
    return inside[inside["status"] == Timeliness.OVERDUE].reset_index(drop=True)


def locked_reports(missing: pd.DataFrame, fw: Framework, locks: list[Lock]) -> pd.Series:
    """Which missing reports fall in a locked period: a partner's reply would be refused, so no
    reminder asks for them (True for those)."""
    if missing.empty or not locks:
        return pd.Series(False, index=missing.index)
    starts = pd.Series([period_from_code(c, fw.calendar).start for c in missing["period"]], index=missing.index)
    ends = pd.to_datetime(missing["period_end"]).dt.date
    hit = pd.Series(False, index=missing.index)
    for lk in locks:
        # pandas-stubs compare a Series of dates with Timestamps only; element-wise `<=` on dates is valid
        hit |= (starts <= lk.end) & (ends >= lk.start)  # type: ignore[operator]
    return hit


def locked_sentence(fw: Framework, window: Period, locks: list[Lock]) -> str | None:
    """Why no reminder is prepared for a locked semester (None when `window` is not locked)."""
    lock = next((lk for lk in locks if lk.start <= window.start and lk.end >= window.end), None)
    if lock is None:
        return None
    return (
        f"{window.label_fr} est verrouillé depuis {lock.when()} : aucune relance n'est préparée, car la réponse "
        "d'un partenaire serait refusée. Pour relancer, déverrouillez d'abord ce semestre."
    )


def build(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    items: pd.DataFrame,
    window: Period,
    *,
    app_url: str | None = None,
    sender: str | None = None,
    today: dt.date | None = None,
    skipped: list[str] | None = None,
) -> list[Reminder]:
    """One reminder per operator with reports of `window` missing past their deadline, in
    framework order; none for a report of a locked period (its reply would be refused).
    `items` come from reporting.report_items. An operator whose reminder cannot be written is
    left out, with a French sentence added to `skipped`: the others' reminders are still prepared."""
    today = today or dt.date.today()
    app_url = app_url.rstrip("/") + "/" + links.page_named("Importer").path if app_url else links.page_url("Importer")
    missing = missing_reports(items, window)
    missing = missing[~locked_reports(missing, fw, review.locks(con))]
    out = []
    for op in fw.operators:
        mine = missing[missing["operator"] == op.code]
        if mine.empty:
            continue
        rows = pd.DataFrame(
            {
                "indicator": mine["indicator"].to_numpy(),
                "label": [fw.label("indicators", c) for c in mine["indicator"]],
                "period": mine["period"].to_numpy(),
                "period_label": [label_of(c, fw.calendar) for c in mine["period"]],
                "deadline": mine["deadline"].to_numpy(),
                "places": mine["missing"].to_numpy() if "missing" in mine else "",
            }
        ).sort_values(["deadline", "indicator"], ignore_index=True)
        try:
            template = templates.build_template(con, fw, op.code, window, today=today)
            message = _message(
                fw,
                op.code,
                op.email,
                window,
                rows,
                app_url,
                sender or DEFAULT_SENDER,
                today,
                (templates.file_name(op.code, window), template),
            )
        except (ArdenneError, ValueError, TypeError) as exc:  # one operator's framework entry, not the others'
            reason = exc.message if isinstance(exc, ArdenneError) else str(exc)
            if skipped is not None:
                skipped.append(
                    f"Relance {_one_line(op.of_label)} ({_one_line(op.code)}) non préparée : "
                    f"{_one_line(reason)}. Corrigez cet opérateur dans le référentiel (page « Référentiel »)."
                )
            continue
        out.append(Reminder(operator=op.code, recipient=op.email, period=window, missing=rows, message=message))
    return out


class _MissingRow(Protocol):
    """A row of a reminder's missing reports (`Reminder.missing`), as `itertuples` gives it."""

    indicator: str
    label: str
    period_label: str
    deadline: dt.date
    places: str


def _message(
    fw: Framework,
    operator: str,
    recipient: str,
    window: Period,
    rows: pd.DataFrame,
    app_url: str,
    sender: str,
    today: dt.date,
    attachment: tuple[str, bytes],
) -> EmailMessage:
    of_name = fw.by_code["operators"][operator].of_label  # « de la Fédération… », « d'Accueil… »
    oldest = min(rows["deadline"])
    lines = [
        f"- {r.indicator} {r.label} : {r.period_label}"
        + (f", {_one_line(r.places)} (le reste est reçu)" if r.places else "")
        + f" (attendu depuis le {_day(r.deadline)})"
        for r in cast(Iterable[_MissingRow], rows.itertuples())
    ]
    body = "\n".join(
        [
            "Bonjour,",
            "",
            f"Pour le suivi du plan de marketing territorial {fw.portfolio.get('label', 'Ardenne Attractivity')}, "
            f"nous n'avons pas encore reçu {of_name} les valeurs suivantes de {window.label_fr} "
            f"({len(rows)} au total, la plus ancienne attendue depuis le {_day(oldest)}) :",
            "",
            *lines,
            "",
            f"Le modèle de rapport {of_name} pour {window.label_fr} est joint, pré-rempli avec vos indicateurs, "
            "zones et périodes : complétez les cellules jaunes, puis déposez-le sur la page « Importer un rapport » "
            f"de l'application : {app_url}",
            "",
            "Si une valeur n'est pas disponible, dites-le-nous en réponse à ce message : la période restera "
            "marquée incomplète plutôt que fausse.",
            "",
            "Merci d'avance,",
            "La coordination du plan",
        ]
    )
    msg = EmailMessage()
    # a header is one line: a line break in a name would end it (the mail library refuses it)
    msg["Subject"] = (
        f"Relance : rapport {_one_line(of_name)} pour {window.label_fr} ({len(rows)} valeur(s) attendue(s))"
    )
    msg["From"] = sender
    if recipient:
        msg["To"] = recipient
    msg["Date"] = formatdate(dt.datetime.combine(today, dt.time(9)).timestamp(), localtime=True)
    msg["Message-ID"] = make_msgid(domain="ardenne-kpi.invalid")
    msg["X-Unsent"] = "1"  # opened as a draft to send (Outlook), not as a received message
    msg.set_content(body)
    file_name, data = attachment
    maintype, subtype = XLSX.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=_one_line(file_name))
    return msg


def _one_line(text: str) -> str:
    """`text` with its line breaks and runs of blanks as one space (a mail header, a sentence)."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _day(value: dt.date | str) -> str:
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def zip_bytes(reminders: list[Reminder]) -> bytes:
    """Every reminder as an .eml file, in one zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in reminders:
            zf.writestr(r.file_name, r.eml())
    return out.getvalue()


def summary_table(reminders: list[Reminder], fw: Framework) -> pd.DataFrame:
    """The reminders as a French table: operator, recipient, how many values, since when."""
    return pd.DataFrame(
        {
            "Opérateur": [fw.label("operators", r.operator) for r in reminders],
            "Destinataire": [r.recipient or MISSING_ADDRESS for r in reminders],
            "Valeurs attendues": [len(r.missing) for r in reminders],
            "Attendu depuis le": [_day(min(r.missing["deadline"])) for r in reminders],
        }
    )


def send(
    con: duckdb.DuckDBPyConnection, reminders: list[Reminder], settings: SmtpSettings, user: str | None
) -> list[tuple[str, str]]:
    """Send the reminders that have a recipient through the configured server; record each
    sending with its outcome. Returns (operator, outcome in French) for every reminder."""
    outcomes: list[tuple[str, str]] = []
    records = []
    to_send = [r for r in reminders if r.recipient]
    outcomes += [(r.operator, "non envoyé : aucune adresse dans le référentiel") for r in reminders if not r.recipient]
    if to_send:
        try:
            with _connect(settings) as server:
                for r in to_send:
                    r.message.replace_header("From", settings.sender)
                    del r.message["X-Unsent"]
                    try:
                        refused = server.send_message(r.message)
                        outcome = "envoyé" if not refused else f"refusé par le serveur : {', '.join(refused)}"
                    except smtplib.SMTPException as exc:
                        outcome = f"refusé par le serveur : {_reason(exc)}"
                    outcomes.append((r.operator, outcome))
                    records.append(
                        (r.operator, r.recipient, r.period.code, r.message["Subject"], len(r.missing), user, outcome)
                    )
        except (OSError, smtplib.SMTPException) as exc:
            raise ArdenneError(
                f"Le serveur de courrier {settings.host}:{settings.port} ne répond pas ou refuse la "
                f"connexion ({_reason(exc)}). Vérifiez ARDENNE_SMTP_* ou téléchargez les relances "
                "pour les envoyer depuis votre messagerie.",
                title="Relances non envoyées",
            ) from exc
        finally:
            if records:
                sql.record(con, records, dt.datetime.now().replace(microsecond=0))
    return outcomes


def _reason(exc: BaseException) -> str:
    return str(exc) or exc.__class__.__name__


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=20, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=20)
        if settings.security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if settings.user:
        server.login(settings.user, settings.password)
    return server


def history_table(con: duckdb.DuckDBPyConnection, fw: Framework) -> pd.DataFrame:
    """Every reminder sent, newest first, in French."""
    h = sql.history(con)
    return pd.DataFrame(
        {
            "Envoyé le": [pd.Timestamp(t).strftime("%d/%m/%Y %H:%M") for t in h["sent_at"]],
            "Opérateur": [fw.label("operators", c) for c in h["operator"]],
            "Destinataire": h["recipient"].to_numpy(),
            "Période": h["period"].to_numpy(),
            "Valeurs attendues": h["n_missing"].to_numpy(),
            "Par": h["sent_by"].fillna("").to_numpy(),
            "Résultat": h["outcome"].to_numpy(),
        }
    )
