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

from ardenne_kpi import db, reporting
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.framework import parse_framework
from ardenne_kpi.reporting import reminders
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
    assert message["Subject"].startswith("Relance : rapport d'Accueil Champêtre en Wallonie pour S11")
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


# How each operator of the shipped framework reads after « de »: its article from the framework
# (« la » Fédération), else an elision before a vowel (« d'Accueil », « d'IDELUX »).
OF_OPERATOR = {
    "GEIE-DA": "du GEIE Destination Ardenne",
    "ADT08": "de l'Agence de Développement Touristique des Ardennes",
    "PNRA": "du Parc naturel régional des Ardennes",
    "PNVH": "du Parc naturel Viroin-Hermeton",
    "ACW": "d'Accueil Champêtre en Wallonie",
    "RND": "de Ressources Naturelles Développement asbl",
    "FTPN": "de la Fédération du Tourisme de la Province de Namur",
    "FTLB": "de la Fédération Touristique du Luxembourg belge (FTLB/ATLB)",
    "IDELUX": "d'IDELUX Projets publics",
    "BEP": "du Bureau Économique de la Province de Namur",
    "CD08": "du Conseil départemental des Ardennes",
}


def test_every_operator_reads_right_after_de_in_its_reminder_and_template(con, fw):
    """« rapport de Accueil Champêtre », « reçu de Fédération du Tourisme » were the words."""
    items = reporting.report_items(con, fw, None, AS_OF)  # an empty base: every report of S11 is missing
    built = {r.operator: r for r in reminders.build(con, fw, items, s11(fw), today=AS_OF)}
    assert sorted(built) == sorted(o.code for o in fw.operators) == sorted(OF_OPERATOR)
    for code, words in OF_OPERATOR.items():
        message = BytesParser(policy=policy.default).parsebytes(built[code].eml())
        body = " ".join(message.get_body(("plain",)).get_content().split())
        assert message["Subject"].startswith(f"Relance : rapport {words} pour S11"), message["Subject"]
        assert f"nous n'avons pas encore reçu {words} les valeurs" in body
        assert f"Le modèle de rapport {words} pour S11" in body
        (attachment,) = list(message.iter_attachments())
        book = load_workbook(io.BytesIO(attachment.get_content()))
        title = next(ws["A1"].value for ws in book.worksheets if str(ws["A1"].value).startswith("Rapport"))
        assert title == f"Rapport d'activité {words}"
        label = fw.by_code["operators"][code].label
        for wrong in (f"de {label}", f"d'{label}", f"du {label}", f"de la {label}", f"de l'{label}"):
            if wrong != words:
                assert wrong not in body and wrong not in message["Subject"]


@pytest.mark.parametrize(
    "name, article, said",
    [
        ("Accueil Champêtre", "", "d'Accueil Champêtre"),
        ("Éislek Tourisme", "", "d'Éislek Tourisme"),
        ("Hôtels de l'Ardenne", "", "d'Hôtels de l'Ardenne"),
        ("Hainaut Développement", "", "de Hainaut Développement"),
        ("Ressources Naturelles", "", "de Ressources Naturelles"),
        ("Fédération du Tourisme", "la", "de la Fédération du Tourisme"),
        ("Parc naturel", "le", "du Parc naturel"),
        ("Agence", "l’", "de l'Agence"),
        ("Gîtes de Wallonie", "les", "des Gîtes de Wallonie"),
    ],
)
def test_of_name_says_de_as_french_does(name, article, said):
    from ardenne_kpi.core.format import of_name

    assert of_name(name, article) == said


def test_an_unknown_article_is_refused_with_its_line(fw):
    with pytest.raises(Exception) as info:
        parse_framework(fw.source_text.replace("{code: ACW, ", "{code: ACW, article: une, ", 1))
    assert "article « une » inconnu" in str(info.value)


def test_no_reminder_asks_for_a_locked_semester(demo, fw):
    """Reminders were prepared for a locked semester, and the partner's reply then refused."""
    from ardenne_kpi.core.accounts import User
    from ardenne_kpi.intake import review

    _, before = prepared(demo, fw)
    assert before, "the demo misses S11 reports past their deadline"
    review.lock(demo, fw, "S11", User("Claire Coordination", "admin"))
    _, after = prepared(demo, fw)
    assert after == []
    sentence = reminders.locked_sentence(fw, s11(fw), review.locks(demo))
    assert sentence.startswith("S11 (oct. 2021 – mars 2022) est verrouillé depuis le ")
    assert "aucune relance n'est préparée" in sentence
    assert reminders.locked_sentence(fw, fw.calendar.semesters[-2], review.locks(demo)) is None


def test_suivi_says_why_no_reminder_is_prepared_for_a_locked_semester(tmp_path, demo_db_path, fw):
    from ardenne_kpi import db
    from ardenne_kpi.core.accounts import User
    from ardenne_kpi.intake import review

    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    review.lock(con, fw, "S11", User("Claire Coordination", "admin"))
    con.close()
    at = run_page("pages/5_Suivi.py", path)
    assert not at.exception
    assert not [b for b in at.button if b.label == "Préparer les relances"]
    assert any("aucune relance n'est préparée" in i.value for i in at.info)


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
    assert acw.message["Subject"].startswith("Relance : rapport d'Accueil Champêtre en Wallonie pour S11")
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
        "Relance d'Accueil Champêtre en Wallonie (ACW) non préparée : en-tête illisible. "
        "Corrigez cet opérateur dans le référentiel (page « Référentiel »)."
    ]
