#!/usr/bin/env bash
# One backup of the base (ARDENNE_DB) into FOLDER, then the retention: the KEEP newest
# backups of FOLDER are kept, the older ones deleted (only after a backup succeeded).
#   deploy/backup.sh /var/lib/ardenne-kpi/backups 14
# PYTHON: the interpreter (default: the clone's .venv, else python3).
set -euo pipefail
folder=${1:?"usage : backup.sh DOSSIER NOMBRE_À_GARDER"}
keep=${2:?"usage : backup.sh DOSSIER NOMBRE_À_GARDER"}
if ! [[ "$keep" =~ ^[1-9][0-9]*$ ]]; then
    echo "NOMBRE_À_GARDER vaut « $keep » : écrivez un entier, 1 au moins." >&2
    exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
[ -x "$python" ] || python=python3
mkdir -p "$folder"
"$python" -m ardenne_kpi backup --out "$folder/ardenne-$(date +%Y%m%d-%H%M%S).zip"
# The names carry their date (ardenne-YYYYMMDD-HHMMSS.zip): sorted by name, newest first.
find "$folder" -maxdepth 1 -type f -name 'ardenne-*.zip' -printf '%f\n' | sort -r | tail -n +$((keep + 1)) |
    while IFS= read -r old; do
        rm -f -- "$folder/$old"
        echo "Ancienne sauvegarde supprimée : $folder/$old"
    done
