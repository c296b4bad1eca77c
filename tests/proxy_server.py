"""nginx with the shipped site (deploy/nginx-site.sh) in a temporary folder, the one way the
deployment tests start the proxy: a self-signed certificate made with openssl, the site
rendered with test ports, a main configuration that keeps every file nginx writes in the
folder, nginx run in the foreground (`daemon off`, `-p`, `-c`) and stopped by its PID."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ardenne_kpi.core import accounts
from tests import app_server
from tests.app_server import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, not on every user's PATH), None when it is not installed."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return found


def second_address() -> str | None:
    """Another address of this machine than 127.0.0.1, as a URL's host (`[::1]`, or the
    machine's own IPv4 address when IPv6 is off): a second visitor, seen by nginx as such.
    None when there is none."""
    if ipv6_loopback():
        return "[::1]"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
            own = s.getsockname()[0]
    except OSError:
        return None
    return None if own.startswith("127.") else own


def ipv6_loopback() -> bool:
    """True when ::1 can be listened on (a second visitor's address in the tests)."""
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, 127.0.0.1 and ::1, and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return cert, key


def render_site(folder: Path, app: str, https_port: int, http_port: int, cert: Path, key: Path, **more: str) -> Path:
    """The shipped site, rendered by deploy/nginx-site.sh for `app` (host:port) on the test ports."""
    params = {
        "SERVER_NAME": "localhost",
        "CERTIFICATE": str(cert),
        "CERTIFICATE_KEY": str(key),
        "HTTPS_PORT": str(https_port),
        "HTTP_PORT": str(http_port),
        "APP": app,
        "IPV6": "on" if ipv6_loopback() else "off",
        **more,
    }
    env = {k: v for k, v in os.environ.items() if k != "ARDENNE_MAX_UPLOAD_MB"} | params
    site = folder / "ardenne-kpi.conf"
    rendered = subprocess.run([str(DEPLOY / "nginx-site.sh")], env=env, check=True, capture_output=True, text=True)
    site.write_text(rendered.stdout, encoding="utf-8")
    return site


def main_config(folder: Path, site: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf does for the site (an `http` block that includes it),
    with every file nginx writes inside `folder`, in the foreground."""
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody, who cannot enter the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {folder}/access.log;\n"
        + "".join(
            f"    {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {site};\n"
        "}\n",
        encoding="utf-8",
    )
    return config


def check(nginx: str, folder: Path, config: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on `config`: its exit code and what it said."""
    return subprocess.run(
        [nginx, "-t", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)],
        capture_output=True,
        text=True,
    )


@contextmanager
def proxy(nginx: str, folder: Path, app: str) -> Iterator[dict]:
    """nginx with the shipped site in front of `app` (host:port); yields its https and http
    ports once it answers TLS, and stops it by its PID."""
    cert, key = certificate(folder)
    https_port, http_port = free_port(), free_port()
    config = main_config(folder, render_site(folder, app, https_port, http_port, cert, key))
    log = folder / "nginx.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_tls(https_port, proc, folder)
            yield {"https": https_port, "http": http_port, "folder": folder}
        finally:
            stop(proc)


@contextmanager
def app_behind_nginx(nginx: str, folder: Path, admin: tuple[str, str]) -> Iterator[dict]:
    """The app as deployed (serve.py, accounts on with one coordinator `admin` = (name,
    password), 127.0.0.1 its trusted proxy) on a fresh demo database in `folder`, and nginx in
    front of it: yields {"app": its own address, "https": nginx's, "port": nginx's HTTPS port}.
    What the proxy tests and bench/proxy_bench.py both start."""
    database = folder / "demo.duckdb"
    subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "init", "--db", str(database)], cwd=ROOT, check=True, capture_output=True
    )
    accounts_file = folder / "accounts.yaml"
    accounts.add_user(admin[0], "admin", admin[1], [], path=accounts_file)
    log = folder / "streamlit.log"
    trusted = {"ARDENNE_TRUSTED_PROXY": "127.0.0.1"}
    with app_server.streamlit(ROOT, database, log, accounts_file, script="serve.py", settings=trusted) as (url, proc):
        app_server.wait_health(url, proc, timeout=60, log=log)
        with proxy(nginx, folder, url.removeprefix("http://")) as ports:
            yield {"app": url, "https": f"https://127.0.0.1:{ports['https']}", "port": ports["https"]}


def insecure_tls() -> ssl.SSLContext:
    """A TLS context that accepts the test's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _wait_tls(port: int, proc: subprocess.Popen, folder: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with insecure_tls().wrap_socket(raw, server_hostname="localhost"):
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            said = [
                (folder / n).read_text(errors="replace")[-2000:]
                for n in ("nginx.out", "error.log")
                if (folder / n).exists()
            ]
            raise RuntimeError(f"nginx did not start (exit {proc.poll()}): {' '.join(s for s in said if s)}")
        time.sleep(0.02)
