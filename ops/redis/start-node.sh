#!/bin/sh
# A Redis Cluster node in compose: the ACL users of access.conf.template, with
# the passwords from the environment (or from the files their _FILE variables
# name), written where only Redis reads them; then the image's own entrypoint.
# $1 is the name the node announces to clients (redis-1 ... redis-6).
set -eu

# The value of $1, or the content of the file $1_FILE names (Docker secrets).
secret() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -n "$file" ]; then cat "$file"; else printf '%s' "$value"; fi
}

for name in REDIS_ADMIN_PASSWORD REDIS_SERVICES_PASSWORD REDIS_REPLICATION_PASSWORD; do
  value=$(secret "$name")
  [ -n "$value" ] || { echo "$name is not set" >&2; exit 1; }
  case "$value" in *[[:space:]]*) echo "$name has white space, which a config line cannot hold" >&2; exit 1 ;; esac
  export "$name=$value"
done

# Each ${NAME} of the template is expanded by the shell, and nothing else: the
# rules hold no other $, quote or backquote.
conf=/tmp/access.conf
umask 077
while IFS= read -r line; do
  case "$line" in '#'* | '') continue ;; esac
  eval "printf '%s\n' \"$line\""
done < "$(dirname "$0")/access.conf.template" > "$conf"
chown redis "$conf"

exec docker-entrypoint.sh redis-server "$conf" \
  --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 3000 \
  --appendonly yes --cluster-announce-hostname "$1" --cluster-preferred-endpoint-type hostname
