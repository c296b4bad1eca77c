"""Reminders (issue 14, item 2): one French e-mail per operator whose reports are missing past
their deadline, with its pre-filled template attached; downloaded as .eml files or sent
through the configured mail server, each sending recorded."""

from __future__ import annotations

import datetime as dt
import io
import socketserver
import threading
import zipfile
from email import policy
from email.parser import BytesParser

import pytest
from openpyxl import load_workbook

from ardenne_kpi import db, reminders, reporting
from ardenne_kpi.errors import ArdenneError
from ardenne_kpi.framework import parse_framework
from tests.conftest import private_copy, run_page

AS_OF = dt.date(2022, 12, 1)


@pytest.fixture
def demo(demo_copy):
    return demo_copy


def s11(fw):
    return next(s for s in fw.calendar.semesters if s.code == "S11")


def prepared(con, fw, emails: dict[str, str] | None = None):
    if emails:  # give operators an address, as the framework's `email` field does
        text = fw.source_text
        for code, address in emails.items():
            text = text.replace(f"{{code: {code}, ", f"{{code: {code}, email: {address}, ", 1)
        fw = parse_framework(text)
        assert {fw.by_code["operators"][c].email for c in emails} == set(emails.values())
    items = reporting.report_items(con, fw, None, AS_OF)
    return fw, reminders.build(con, fw, items, s11(fw), app_url="https://kpi.example.org", today=AS_OF)


def test_a_reminder_names_what_is_missing_since_when_and_carries_the_template(demo, fw):
    _, built = prepared(demo, fw)
    acw = next(r for r in built if r.operator == "ACW")
    message = BytesParser(policy=policy.default).parsebytes(acw.eml())
    body = message.get_body(("plain",)).get_content()
    assert message["Subject"].startswith("Relance : rapport de Accueil Champêtre en Wallonie pour S11")
    assert message["X-Unsent"] == "1" and message["To"] is None  # no address in the shipped framework
    for code in acw.missing["indicator"]:
        assert code in body
    assert "attendu depuis le 15/05/2022" in body and "https://kpi.example.org" in body
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "rapport_ACW_S11.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    assert "ACW" in book.properties.keywords and "S11" in book.properties.keywords
    # Only operators with values missing past their deadline are reminded.
    items = reporting.report_items(demo, fw, None, AS_OF)
    late = reminders.missing_reports(items, s11(fw))
    assert {r.operator for r in built} == set(late["operator"])
    assert sum(len(r.missing) for r in built) == len(late)


def test_the_zip_holds_one_eml_per_operator(demo, fw):
    _, built = prepared(demo, fw)
    with zipfile.ZipFile(io.BytesIO(reminders.zip_bytes(built))) as zf:
        assert sorted(zf.namelist()) == sorted(f"relance_{r.operator}_S11.eml" for r in built)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive messages (EHLO, MAIL, RCPT, DATA, QUIT): the test's own server."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == "MAIL":
                sender, recipients = command, []
                self.wfile.write(b"250 ok\r\n")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.received.append((sender, recipients, data))
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_reminders_reach_the_mail_server_and_each_sending_is_recorded(demo, fw, smtp_server):
    fw, built = prepared(demo, fw, {"ACW": "suivi@acw.example.org"})
    settings = reminders.SmtpSettings.from_env(
        {
            "ARDENNE_SMTP_HOST": "127.0.0.1",
            "ARDENNE_SMTP_PORT": str(smtp_server.server_address[1]),
            "ARDENNE_SMTP_SECURITY": "none",
            "ARDENNE_SMTP_FROM": "coordination@geie.example.org",
        }
    )
    outcomes = dict(reminders.send(demo, built, settings, "coordinatrice"))
    assert outcomes["ACW"] == "envoyé"
    assert all(o.startswith("non envoyé : aucune adresse") for op, o in outcomes.items() if op != "ACW")
    ((sender, recipients, data),) = smtp_server.received
    assert recipients == ["suivi@acw.example.org"] and "coordination@geie.example.org" in sender
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert message["X-Unsent"] is None and [a.get_filename() for a in message.iter_attachments()] == [
        "rapport_ACW_S11.xlsx"
    ]
    history = reminders.history_table(demo, fw)
    assert list(history["Destinataire"]) == ["suivi@acw.example.org"]
    assert list(history["Résultat"]) == ["envoyé"] and list(history["Par"]) == ["coordinatrice"]


def test_an_unreachable_server_is_one_french_sentence_and_nothing_is_recorded(demo, fw):
    fw, built = prepared(demo, fw, {"ACW": "suivi@acw.example.org"})
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        port = closed.server_address[1]
    settings = reminders.SmtpSettings.from_env(
        {"ARDENNE_SMTP_HOST": "127.0.0.1", "ARDENNE_SMTP_PORT": str(port), "ARDENNE_SMTP_SECURITY": "none"}
    )
    with pytest.raises(ArdenneError, match="ne répond pas ou refuse la connexion"):
        reminders.send(demo, built, settings, "coordinatrice")
    assert reminders.history_table(demo, fw).empty


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"ARDENNE_SMTP_HOST": "smtp.example.org", "ARDENNE_SMTP_SECURITY": "tls1"}, "starttls, ssl ou none"),
        ({"ARDENNE_SMTP_HOST": "smtp.example.org", "ARDENNE_SMTP_PORT": "vingt-cinq"}, "numéro de port"),
    ],
)
def test_a_misconfigured_server_says_which_setting(env, says):
    with pytest.raises(ArdenneError, match=says):
        reminders.SmtpSettings.from_env(env)


def test_no_server_configured_means_download_only():
    assert reminders.SmtpSettings.from_env({}) is None


def test_a_wrong_operator_address_is_refused_with_its_line(fw):
    text = fw.source_text.replace("{code: ACW, ", "{code: ACW, email: suivi at acw, ", 1)
    with pytest.raises(ArdenneError, match="adresse « suivi at acw » illisible"):
        parse_framework(text)


def test_suivi_prepares_the_reminders_for_download(tmp_path, demo_db_path):
    at = run_page("pages/5_Suivi.py", private_copy(demo_db_path, tmp_path))
    next(b for b in at.button if b.label == "Préparer les relances").click().run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Télécharger les") and ".eml" in label for label in labels)


def test_a_line_break_in_an_operator_name_does_not_stop_the_other_reminders(tmp_path, demo_db_path, fw):
    """Issue 24, finding 11: a line break in an operator's name (a base whose framework was
    saved before such names were refused) crashed « Préparer les relances » for everyone."""
    path = private_copy(demo_db_path, tmp_path)
    text = fw.source_text.replace('label: "Accueil Champêtre en Wallonie"', 'label: "Accueil Champêtre\\nen Wallonie"')
    con = db.connect(path)
    try:
        db.sync_framework(con, parse_framework(text, stored=True))
    finally:
        con.close()
    at = run_page("pages/5_Suivi.py", path)
    next(b for b in at.button if b.label == "Préparer les relances").click().run()
    assert not at.exception, [e.value for e in at.exception]
    prepared = at.session_state["reminders"][1]
    assert len(prepared) > 1 and any(r.operator == "ACW" for r in prepared)
    acw = next(r for r in prepared if r.operator == "ACW")
    assert acw.message["Subject"].startswith("Relance : rapport de Accueil Champêtre en Wallonie pour S11")
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Télécharger les") and ".eml" in label for label in labels)


def test_an_operator_whose_reminder_cannot_be_written_is_named_and_the_others_are_prepared(demo, fw, monkeypatch):
    real = reminders._message

    def broken_for_acw(fw, operator, *args):
        if operator == "ACW":
            raise ValueError("en-tête illisible")
        return real(fw, operator, *args)

    monkeypatch.setattr(reminders, "_message", broken_for_acw)
    skipped: list[str] = []
    items = reporting.report_items(demo, fw, None, AS_OF)
    built = reminders.build(demo, fw, items, s11(fw), today=AS_OF, skipped=skipped)
    assert built and "ACW" not in {r.operator for r in built}
    assert skipped == [
        "Relance de Accueil Champêtre en Wallonie (ACW) non préparée : en-tête illisible. "
        "Corrigez cet opérateur dans le référentiel (page « Référentiel »)."
    ]
