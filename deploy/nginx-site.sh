#!/usr/bin/env bash
# The nginx site of Ardenne KPI, written on stdout from nginx-site.conf.in beside this script.
#   SERVER_NAME=kpi.example.org deploy/nginx-site.sh > /etc/nginx/sites-available/ardenne-kpi
# Parameters (environment, defaults after the =):
#   SERVER_NAME                  the name visitors type (required)
#   CERTIFICATE=/etc/letsencrypt/live/$SERVER_NAME/fullchain.pem
#   CERTIFICATE_KEY=/etc/letsencrypt/live/$SERVER_NAME/privkey.pem
#   HTTPS_PORT=443  HTTP_PORT=80
#   APP=127.0.0.1:8501           where `streamlit run serve.py` listens
#   ARDENNE_MAX_UPLOAD_MB=20     the app's upload limit (the same variable as the app's)
#   IPV6=on                      off: listen on IPv4 only (a machine without IPv6)
set -euo pipefail
: "${SERVER_NAME:?SERVER_NAME manquant : le nom du site, par exemple SERVER_NAME=kpi.example.org}"
CERTIFICATE=${CERTIFICATE:-/etc/letsencrypt/live/$SERVER_NAME/fullchain.pem}
CERTIFICATE_KEY=${CERTIFICATE_KEY:-/etc/letsencrypt/live/$SERVER_NAME/privkey.pem}
HTTPS_PORT=${HTTPS_PORT:-443}
HTTP_PORT=${HTTP_PORT:-80}
APP=${APP:-127.0.0.1:8501}
upload=${ARDENNE_MAX_UPLOAD_MB:-20}
# nginx counts whole megabytes: the limit rounded up, plus one for the multipart form around the file.
MAX_BODY_MB=$(awk -v mb="$upload" 'BEGIN { n = int(mb); if (n < mb) n++; print n + 1 }')
for value in "$SERVER_NAME" "$CERTIFICATE" "$CERTIFICATE_KEY" "$HTTPS_PORT" "$HTTP_PORT" "$APP"; do
    if [[ "$value" =~ [[:space:]\;\{\}\|\&\\] ]]; then
        echo "Valeur refusée (espace, ; { } | & ou \\) : « $value »" >&2
        exit 2
    fi
done
sed -e "s|@SERVER_NAME@|$SERVER_NAME|g" \
    -e "s|@CERTIFICATE@|$CERTIFICATE|g" \
    -e "s|@CERTIFICATE_KEY@|$CERTIFICATE_KEY|g" \
    -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    -e "s|@HTTP_PORT@|$HTTP_PORT|g" \
    -e "s|@APP@|$APP|g" \
    -e "s|@MAX_BODY_MB@|$MAX_BODY_MB|g" \
    "$(dirname "$0")/nginx-site.conf.in" |
    if [ "${IPV6:-on}" = off ]; then sed -e '/listen \[::\]/d'; else cat; fi
