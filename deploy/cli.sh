#!/usr/bin/env bash
# The command line as the service runs it: its user, its settings file, its folder.
#   sudo /opt/ardenne-kpi/deploy/cli.sh users add claire --role admin
#   sudo systemctl stop ardenne-kpi && sudo /opt/ardenne-kpi/deploy/cli.sh restore FICHIER.zip
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
exec runuser -u "${SERVICE_USER:-ardenne}" -- bash -c \
    'set -a; . "$1"; set +a; cd "$2"; shift 2; exec .venv/bin/python -m ardenne_kpi "$@"' \
    cli "${ENV_FILE:-/etc/ardenne-kpi/ardenne-kpi.env}" "$here" "$@"
