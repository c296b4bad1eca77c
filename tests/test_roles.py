"""Each role on each page, through AppTest: what they see and what they cannot do."""

from __future__ import annotations

import pytest

from ardenne_kpi.core import accounts, links
from ardenne_kpi.core.accounts import User
from ardenne_kpi.ui import SIGN_IN
from tests.conftest import open_tab, read, run_page

PASSWORD = "correct horse battery"
PAGES = [page.file for page in links.PAGES]
PUBLIC = {page.file for page in links.PAGES if page.public}  # open without signing in (tests/test_publication.py)
ADMIN = User("coord", "admin")
PARTNER = User("ftlb", "partner", ("FTLB",))
VIEWER = User("elu", "viewer")


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "accounts.yaml"
    accounts.add_user("coord", "admin", PASSWORD, path=path)
    accounts.add_user("ftlb", "partner", PASSWORD, ["FTLB"], path=path)
    accounts.add_user("elu", "viewer", PASSWORD, path=path)
    return path


@pytest.fixture(scope="module")
def roles_db(tmp_path_factory, demo_db_path):
    """A copy of the demo base: running it with accounts marks it as a base with accounts
    (local mode is then refused), which the shared demo base must not become."""
    import shutil

    path = tmp_path_factory.mktemp("roles-db") / "demo.duckdb"
    shutil.copy(demo_db_path, path)
    return path


@pytest.mark.parametrize("page", [p for p in PAGES if p not in PUBLIC])
def test_signed_out_visitor_sees_only_the_sign_in_form(page, roles_db, accounts_file):
    # the home page asks to sign in at « /?connexion=1 », the link « Se connecter » leads there
    at = run_page(page, roles_db, accounts_file=accounts_file, query_params=SIGN_IN if page == "app.py" else None)
    assert not at.exception
    assert at.title[0].value == "Connexion"
    assert len(at.text_input) == 2 and not at.dataframe and not at.metric


@pytest.mark.parametrize("user", [ADMIN, PARTNER, VIEWER], ids=lambda u: u.role)
@pytest.mark.parametrize("page", PAGES)
def test_every_role_reads_every_page(page, user, roles_db, accounts_file):
    at = run_page(page, roles_db, user=user, accounts_file=accounts_file)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value != "Connexion"
    assert not any("Mode local" in read(w.value) for w in at.warning)


def test_an_anonymous_visitor_at_the_address_sees_the_public_figures_and_where_to_sign_in(roles_db, accounts_file):
    """With accounts on, « / » showed a bare sign-in form and no way to the public figures."""
    at = run_page("app.py", roles_db, accounts_file=accounts_file)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value != "Connexion" and not at.text_input, "no sign-in form first"
    assert at.metric and any(t.label == "Pour les habitants" for t in at.tabs), "the public key figures"
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    assert any(label.startswith("Se connecter") for label, _ in links), links
    at = run_page("app.py", roles_db, accounts_file=accounts_file, query_params=SIGN_IN)
    assert at.title[0].value == "Connexion" and len(at.text_input) == 2


def test_sign_in_through_the_form(roles_db, accounts_file):
    at = run_page("app.py", roles_db, accounts_file=accounts_file, query_params=SIGN_IN)
    at.text_input[0].input("elu")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["user"] == VIEWER


def test_wrong_password_is_one_sentence(roles_db, accounts_file):
    at = run_page("app.py", roles_db, accounts_file=accounts_file, query_params=SIGN_IN)
    at.text_input[0].input("elu")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Nom d'utilisateur ou mot de passe incorrect."]


def test_only_the_coordination_may_replace_the_framework(roles_db, accounts_file):
    for user in (PARTNER, VIEWER):
        at = run_page("pages/4_Referentiel.py", roles_db, user=user, accounts_file=accounts_file)
        assert not any(e.label.startswith("Remplacer") for e in at.expander)
        assert any("Seule la coordination" in c.value for c in at.caption)
    at = run_page("pages/4_Referentiel.py", roles_db, user=ADMIN, accounts_file=accounts_file)
    assert any(e.label.startswith("Remplacer") for e in at.expander)


def test_local_mode_banner_says_how_to_turn_accounts_on(demo_db_path):
    at = run_page("app.py", demo_db_path)
    banner = next(w.value for w in at.warning if "Mode local" in w.value)
    assert "users add" in banner


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def import_db(tmp_path, fw):
    from ardenne_kpi import db
    from tests.browser_helpers import filled_template

    path = tmp_path / "roles-import.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    reports = {op: filled_template(con, fw, op, "S05") for op in ("FTLB", "ADT08")}
    con.close()
    return path, reports


def _history(at):
    return next(d.value for d in at.dataframe if "Importé par" in d.value.columns)


def test_partner_uploads_for_its_operator_as_the_signed_in_user(import_db, accounts_file):
    path, reports = import_db
    at = run_page("pages/1_Import.py", path, user=PARTNER, accounts_file=accounts_file)
    assert at.selectbox(key="import_operator").options == [
        "FTLB · Fédération Touristique du Luxembourg belge (FTLB/ATLB)"
    ]
    at.file_uploader[0].set_value([("ftlb.xlsx", reports["FTLB"], XLSX)]).run()
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert list(_history(open_tab(at, "Historique et annulation"))["Importé par"]) == ["ftlb"]


def test_partner_cannot_upload_for_another_operator(import_db, accounts_file):
    path, reports = import_db
    at = run_page("pages/1_Import.py", path, user=PARTNER, accounts_file=accounts_file)
    at.file_uploader[0].set_value([("adt08.xlsx", reports["ADT08"], XLSX)]).run()
    assert not at.exception
    assert "refusé" in " ".join(e.value for e in at.error)
    assert not [b for b in at.button if b.key == "import_commit"]


def test_viewer_cannot_upload_nor_roll_back(import_db, accounts_file):
    path, reports = import_db
    at = run_page("pages/1_Import.py", path, user=ADMIN, accounts_file=accounts_file)
    at.file_uploader[0].set_value([("ftlb.xlsx", reports["FTLB"], XLSX)]).run()
    at.button(key="import_commit").click().run()
    at = run_page("pages/1_Import.py", path, user=VIEWER, accounts_file=accounts_file)
    assert not at.file_uploader
    assert any("lecture seule" in i.value for i in at.info)
    open_tab(at, "Historique et annulation")
    assert not [b for b in at.button if b.key == "rollback_ask_button"]
    assert any("Seule la coordination" in c.value for c in at.caption)


def test_admin_rolls_back(import_db, accounts_file):
    path, reports = import_db
    at = run_page("pages/1_Import.py", path, user=ADMIN, accounts_file=accounts_file)
    at.file_uploader[0].set_value([("ftlb.xlsx", reports["FTLB"], XLSX)]).run()
    at.button(key="import_commit").click().run()
    open_tab(at, "Historique et annulation").button(key="rollback_ask_button").click().run()
    at.button(key="rollback_confirm").click().run()
    assert not at.exception
    assert any("annulé" in read(s.value) for s in at.success)


VALIDATION = {"onglet": "Validation"}  # the Import page's address that opens its Validation tab


def _review_table(at):
    return next(d.value for d in at.dataframe if "Message de la coordination" in d.value.columns)


def test_a_partner_upload_waits_for_the_coordination_which_sends_it_back_then_validates(import_db, accounts_file):
    """Issue 14: the partner's file lands « soumis »; the admin's Validation tab shows what it
    changes and sends it back with a message the partner reads; the next one is validated."""
    path, reports = import_db
    at = run_page("pages/1_Import.py", path, user=PARTNER, accounts_file=accounts_file)
    at.file_uploader[0].set_value([("ftlb.xlsx", reports["FTLB"], XLSX)]).run()
    at.button(key="import_commit").click().run()
    assert not at.exception
    assert any("Import soumis à la coordination" in read(s.value) for s in at.success)
    assert list(_review_table(open_tab(at, "Validation"))["Validation"]) == ["soumis, à valider"]
    assert not [b for b in at.button if b.key == "review_validate"], "a partner cannot validate"

    at = run_page("pages/1_Import.py", path, user=ADMIN, accounts_file=accounts_file, query_params=VALIDATION)
    assert any(t.label.startswith("Inclure les chiffres soumis (1 import") for t in at.toggle)
    changes = next(d.value for d in at.dataframe if "Soumis" in d.value.columns)
    assert len(changes) > 5 and set(changes["Changement"]) == {"nouveau"}
    at.text_area(key="review_message").input("Les visites de mars sont en double : corrigez la ligne 12.")
    at.button(key="review_send_back").click().run()
    assert not at.exception
    assert any("renvoyé au partenaire" in read(s.value) for s in at.success)

    at = run_page("pages/1_Import.py", path, user=PARTNER, accounts_file=accounts_file)
    notice = next(read(w.value) for w in at.warning if "vous a renvoyé" in read(w.value))
    assert "votre rapport « ftlb.xlsx » déposé le " in notice
    messages = [t.value for t in at.text]
    assert messages == ["Les visites de mars sont en double : corrigez la ligne 12."], "the partner reads why, apart"
    at.file_uploader[0].set_value([("ftlb.xlsx", reports["FTLB"], XLSX)]).run()
    at.button(key="import_commit").click().run()
    assert not any("vous a renvoyé" in w.value for w in at.warning), "answered: the notice goes"
    at = run_page("pages/1_Import.py", path, user=ADMIN, accounts_file=accounts_file, query_params=VALIDATION)
    at.button(key="review_validate").click().run()
    assert not at.exception
    assert any("validé : ses valeurs comptent" in read(s.value) for s in at.success)
    assert not any(t.label.startswith("Inclure les chiffres soumis") for t in at.toggle), "nothing waits any more"


def test_the_coordination_locks_a_semester_on_suivi_and_a_partner_cannot(roles_db, accounts_file):
    at = run_page("pages/5_Suivi.py", roles_db, user=PARTNER, accounts_file=accounts_file)
    assert not [b for b in at.button if b.key == "suivi_lock"]
    at = run_page("pages/5_Suivi.py", roles_db, user=ADMIN, accounts_file=accounts_file)
    at.button(key="suivi_lock").click().run()
    assert not at.exception
    assert any("est verrouillé" in i.value and "par coord" in i.value for i in at.info)
    # one subject, one agreement: not « S11 … est verrouillé (verrouillée le … »
    assert any("est verrouillé** depuis le " in i.value for i in at.info)
    assert not any("verrouillée" in i.value for i in at.info)
    at.button(key="suivi_unlock").click().run()
    assert not any("est verrouillé" in i.value for i in at.info)
