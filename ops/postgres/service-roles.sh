#!/bin/sh
# A service's Postgres, on its first start (docker-entrypoint-initdb.d): the roles
# the local stack makes in stack/database-roles.ts. <db>_service owns the
# database and is its only user; <db>_cdc is Debezium's (replication). The
# migrate job then creates the tables as the owner, and the connectors job
# grants the change-capture role its reads.
set -eu

# The value of $1, or the content of the file $1_FILE names (Docker secrets).
secret() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -n "$file" ]; then cat "$file"; else printf '%s' "$value"; fi
}

owner_password=$(secret SERVICE_ROLE_PASSWORD)
cdc_password=$(secret CDC_ROLE_PASSWORD)
[ -n "$owner_password" ] || { echo "SERVICE_ROLE_PASSWORD is not set" >&2; exit 1; }
[ -n "$cdc_password" ] || { echo "CDC_ROLE_PASSWORD is not set" >&2; exit 1; }

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner="${POSTGRES_DB}_service" -v cdc="${POSTGRES_DB}_cdc" \
  -v owner_password="$owner_password" -v cdc_password="$cdc_password" <<'SQL'
create role :"owner" login password :'owner_password';
create role :"cdc" login replication password :'cdc_password';
alter database :"db" owner to :"owner";
revoke all on database :"db" from public;
revoke connect on database postgres from public;
revoke connect on database template1 from public;
grant connect on database :"db" to :"cdc";
grant :"cdc" to :"owner";
-- Only a superuser may create it; the product migration and the benchmarks use it.
create extension if not exists pg_stat_statements;
SQL
