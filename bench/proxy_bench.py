"""A new visitor's first page through the deployed proxy, beside the same visit straight from the app.

    python bench/proxy_bench.py [--runs 7] [--mbits 10] [--latency 20]

Starts what tests/test_proxy.py starts (the app from serve.py in accounts mode on a demo
database made by `python -m ardenne_kpi init`, Debian's nginx with the shipped site on a
self-signed certificate) and drives headless Chromium on a slow line (Chromium's own network
emulation: `--mbits` down, half of it up, `--latency` ms), as a partner's office may have.
Each round opens Chiffres clés (public; its charts need Streamlit's 4.7 MB Plotly chunk) for a
new visitor (empty cache, no session) through nginx, then straight from the app (the baseline),
and times it until Streamlit says the page is drawn. Prints the megabytes on the wire and the
median seconds of each, and their ratios (issue 26: downloads less, draws no slower).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import proxy_server  # noqa: E402  (shared with the proxy tests)
from tests.test_browser import launched_chromium  # noqa: E402
from tests.test_proxy import ADMIN, first_visit  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds (each: one visit through nginx, one without)")
    parser.add_argument("--mbits", type=float, default=10, help="the line's download speed, Mbit/s")
    parser.add_argument("--latency", type=float, default=20, help="the line's latency, ms")
    args = parser.parse_args()
    nginx = proxy_server.nginx_binary()
    if nginx is None:
        sys.exit("nginx introuvable : apt-get install -y nginx")
    line = {
        "latency": args.latency,
        "downloadThroughput": args.mbits * 1e6 / 8,
        "uploadThroughput": args.mbits * 1e6 / 16,
    }
    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as tmp:
        with proxy_server.app_behind_nginx(nginx, Path(tmp), ADMIN) as running:
            url, https = running["app"], running["https"]
            with launched_chromium() as browser:
                first_visit(browser, url)  # the app's caches warm, as for any visitor after the first
                seconds: dict[str, list[float]] = {"nginx": [], "direct": []}
                wire: dict[str, list[float]] = {"nginx": [], "direct": []}
                for n in range(args.runs):
                    for name, base in (("nginx", https), ("direct", url)):
                        transfers, took = first_visit(browser, base, line)
                        seconds[name].append(took)
                        wire[name].append(sum(t["wire"] for t in transfers) / 1e6)
                    print(f"tour {n + 1} : nginx {seconds['nginx'][-1]:.2f} s, sans {seconds['direct'][-1]:.2f} s")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    megabytes = {name: statistics.median(values) for name, values in wire.items()}
    print(f"\nPremière visite de Chiffres clés, ligne {args.mbits:g} Mbit/s, {args.latency:g} ms, {args.runs} tours")
    print(f"{'':10}{'Mo transférés':>15}{'secondes (médiane)':>20}")
    for name, label in (("nginx", "par nginx"), ("direct", "sans")):
        print(f"{label:10}{megabytes[name]:>15.2f}{median[name]:>20.2f}")
    print(
        f"rapport nginx / sans : {megabytes['nginx'] / megabytes['direct']:.2f}× les octets,"
        f" {median['nginx'] / median['direct']:.2f}× le temps (objectif : moins d'octets, ≤ 1,00× le temps)"
    )


if __name__ == "__main__":
    main()
