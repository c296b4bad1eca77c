#!/usr/bin/env bash
# The restore drill: proves that the newest backup of FOLDER restores. It is restored into a
# scratch folder (never over the base), its values exported, and the restored base backed up
# again: both backups must hold the same tables with the same row counts and the same
# original files. Exit 0 and one line when it does; 1 with the reason otherwise.
#   deploy/restore-drill.sh /var/lib/ardenne-kpi/backups
# PYTHON: the interpreter (default: the clone's .venv, else python3).
set -euo pipefail
folder=${1:?"usage : restore-drill.sh DOSSIER_DES_SAUVEGARDES"}
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
[ -x "$python" ] || python=python3
last=$(find "$folder" -maxdepth 1 -type f -name 'ardenne-*.zip' -printf '%f\n' | sort -r | head -n 1)
if [ -z "$last" ]; then
    echo "Exercice de restauration impossible : aucune sauvegarde (ardenne-*.zip) dans $folder." >&2
    exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ardenne-exercice.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
base="$scratch/ardenne.duckdb"
step() {  # a command of the drill, its output shown only when it fails
    if ! "$python" -m ardenne_kpi "$@" --db "$base" >"$scratch/sortie.log" 2>&1; then
        cat "$scratch/sortie.log" >&2
        echo "Exercice de restauration ÉCHOUÉ pour $folder/$last : « $1 » a échoué (ci-dessus)." >&2
        exit 1
    fi
}
step restore "$folder/$last"
step export values --out "$scratch/valeurs.csv"
step backup --out "$scratch/encore.zip"
"$python" - "$folder/$last" "$scratch/encore.zip" "$scratch/valeurs.csv" <<'PY'
import csv, json, sys, zipfile

def manifest(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("sauvegarde.json"))

backup, again = manifest(sys.argv[1]), manifest(sys.argv[2])
with open(sys.argv[3], encoding="utf-8", newline="") as f:
    values = sum(1 for _ in csv.reader(f)) - 1
if (backup["tables"], backup["uploads"]) != (again["tables"], again["uploads"]):
    sys.exit(
        f"Exercice de restauration ÉCHOUÉ pour {sys.argv[1]} : la base restaurée ne contient pas ce que "
        f"la sauvegarde annonce (tables {backup['tables']} et {backup['uploads']} fichier(s) attendus ; "
        f"trouvés : {again['tables']} et {again['uploads']})."
    )
print(
    f"Exercice de restauration réussi : {sys.argv[1]} (du {backup['created_at']}) restaurée à part, "
    f"{len(backup['tables'])} tables et leurs lignes identiques, {backup['uploads']} fichier(s) d'origine, "
    f"{values} valeur(s) exportée(s)."
)
PY
