"""The deployment folder (deploy/) holds together without a server: the nginx site renders
and passes `nginx -t`, the systemd units pass `systemd-analyze verify`, the backup script
keeps the newest N backups and deletes the rest, and the restore drill proves a backup
restores (and says so when it does not), and nginx passes on the address it saw, not a
forged one. Chromium through the real proxy in front of the app: test_proxy.py."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests import proxy_server
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("ardenne-kpi.service", "ardenne-kpi-backup.service", "ardenne-kpi-backup.timer")


def _rendered_site(tmp_path: Path, **more: str) -> str:
    cert, key = proxy_server.certificate(tmp_path)
    site = proxy_server.render_site(tmp_path, "127.0.0.1:8501", 8443, 8080, cert, key, **more)
    return site.read_text(encoding="utf-8")


def test_the_nginx_site_renders_every_parameter(tmp_path):
    site = _rendered_site(tmp_path, ARDENNE_MAX_UPLOAD_MB="20.5", SERVER_NAME="kpi.example.org")
    assert re.findall(r"@[A-Z_]+@", site) == []  # no parameter left unrendered
    assert "server_name kpi.example.org;" in site
    assert f"ssl_certificate     {tmp_path / 'cert.pem'};" in site
    assert "listen 8443 ssl" in site and "listen 8080;" in site
    assert "server 127.0.0.1:8501;" in site
    assert "client_max_body_size 22m;" in site  # 20.5 MB rounded up, and a megabyte for the form


def test_the_nginx_site_refuses_a_parameter_that_would_change_its_meaning(tmp_path):
    env = {**os.environ, "SERVER_NAME": "kpi.example.org; include /etc/shadow"}
    done = subprocess.run([str(DEPLOY / "nginx-site.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert "Valeur refusée" in done.stderr


def test_the_rendered_nginx_site_passes_nginx_t(tmp_path):
    nginx = proxy_server.nginx_binary()
    if nginx is None:
        pytest.skip("nginx n'est pas installé (apt-get install -y nginx)")
    cert, key = proxy_server.certificate(tmp_path)
    site = proxy_server.render_site(tmp_path, "127.0.0.1:8501", 8443, 8080, cert, key)
    config = proxy_server.main_config(tmp_path, site)
    done = proxy_server.check(nginx, tmp_path, config)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    # And the check is a real one: a site that lost a brace fails it.
    site.write_text(site.read_text(encoding="utf-8").replace("deny all;\n    }", "deny all;\n"), encoding="utf-8")
    assert proxy_server.check(nginx, tmp_path, config).returncode != 0


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze absent (paquet systemd)")
    # The units name the installed paths (/opt/ardenne-kpi and its .venv): here, this clone
    # and this interpreter, so that verify finds the commands they run.
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace("/opt/ardenne-kpi/.venv/bin/python", sys.executable).replace("/opt/ardenne-kpi", str(ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([analyze, "verify", *UNITS], cwd=tmp_path, capture_output=True, text=True)
    said = [line for line in (done.stdout + done.stderr).splitlines() if "ardenne-kpi" in line]
    assert done.returncode == 0 and said == [], done.stdout + done.stderr


def _backup_env(database: Path) -> dict[str, str]:
    return {**os.environ, "ARDENNE_DB": str(database), "PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}


def test_the_backup_script_keeps_the_newest_n_and_deletes_the_rest(tmp_path, empty_db_path):
    database = shutil.copy(empty_db_path, tmp_path / "ardenne.duckdb")
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    older = [folder / f"ardenne-2026010{day}-020000.zip" for day in range(1, 6)]
    for path in older:
        path.write_bytes(b"an older backup")
    other = folder / "notes.txt"  # not a backup: never deleted
    other.write_text("à garder", encoding="utf-8")
    done = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(folder), "3"], env=_backup_env(database), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in folder.glob("ardenne-*.zip"))
    assert len(kept) == 3
    assert kept[:2] == [older[3].name, older[4].name]  # the two newest older ones, and today's
    assert kept[2] > older[4].name and "Sauvegarde écrite" in done.stdout
    assert done.stdout.count("Ancienne sauvegarde supprimée") == 3
    assert other.exists()


def test_the_backup_script_refuses_a_retention_that_is_not_a_whole_number(tmp_path):
    done = subprocess.run(
        [str(DEPLOY / "backup.sh"), str(tmp_path), "0"],
        env=_backup_env(tmp_path / "x.duckdb"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "écrivez un entier" in done.stderr


def test_the_restore_drill_proves_the_newest_backup_restores(tmp_path, demo_db_path):
    database = shutil.copytree(demo_db_path.parent, tmp_path / "base") / demo_db_path.name  # with its uploads/
    folder = tmp_path / "sauvegardes"
    env = _backup_env(database)
    subprocess.run([str(DEPLOY / "backup.sh"), str(folder), "2"], env=env, check=True, capture_output=True)
    exported = tmp_path / "valeurs.csv"
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "export", "values", "--out", str(exported)], env=env, check=True
    )
    values = len(exported.read_text(encoding="utf-8").splitlines()) - 1
    originals = len(list((database.parent / "uploads").iterdir()))
    done = subprocess.run([str(DEPLOY / "restore-drill.sh"), str(folder)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Exercice de restauration réussi" in done.stdout
    assert f"{originals} fichier(s) d'origine, {values} valeur(s) exportée(s)" in done.stdout
    assert values > 0 and originals > 0


def test_the_restore_drill_fails_on_a_damaged_newest_backup(tmp_path, empty_db_path):
    database = shutil.copy(empty_db_path, tmp_path / "ardenne.duckdb")
    folder = tmp_path / "sauvegardes"
    env = _backup_env(database)
    subprocess.run([str(DEPLOY / "backup.sh"), str(folder), "2"], env=env, check=True, capture_output=True)
    (folder / "ardenne-20991231-235959.zip").write_bytes(b"not a zip")  # the newest by its name
    done = subprocess.run([str(DEPLOY / "restore-drill.sh"), str(folder)], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "Exercice de restauration ÉCHOUÉ" in done.stderr and "ardenne-20991231-235959.zip" in done.stderr


def test_the_restore_drill_says_when_there_is_no_backup(tmp_path):
    done = subprocess.run(
        [str(DEPLOY / "restore-drill.sh"), str(tmp_path)],
        env=_backup_env(tmp_path / "x.duckdb"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "aucune sauvegarde" in done.stderr


class _Echo(http.server.BaseHTTPRequestHandler):
    """An upstream that answers the headers it received, as JSON."""

    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_nginx_replaces_a_forged_forwarded_address_with_the_one_it_saw(tmp_path):
    """The app believes X-Forwarded-For from nginx alone, and takes its last entry: nginx must
    pass the address it saw, not what the visitor wrote there."""
    nginx = proxy_server.nginx_binary()
    if nginx is None:
        pytest.skip("nginx n'est pas installé (apt-get install -y nginx)")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with proxy_server.proxy(nginx, tmp_path, f"127.0.0.1:{upstream.server_address[1]}") as ports:
            request = urllib.request.Request(
                f"https://127.0.0.1:{ports['https']}/Tendances", headers={"X-Forwarded-For": "198.51.100.7"}
            )
            with urllib.request.urlopen(request, context=proxy_server.insecure_tls(), timeout=30) as answer:
                seen = json.loads(answer.read())
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["host"] == f"127.0.0.1:{ports['https']}"
