#!/bin/bash
# The Kafka broker in compose: on first start, formats the storage with every
# principal's SCRAM-SHA-512 login (KRaft keeps them in its metadata; the image
# would format without them), writes the broker's own client login for the
# healthcheck, then runs the image's own start. The local stack does the same
# in stack/parts/kafka.ts. Passwords come from LOGIN_<PRINCIPAL>_PASSWORD or
# the file its _FILE variable names, in URL-safe characters (not KAFKA_*: the
# image makes every KAFKA_* variable a broker property).
set -euo pipefail

# Who logs in: the super users, Connect, and one principal per service (stack/kafka-access.ts).
PRINCIPALS="admin broker connect api account product order payment purchase orchestrator ops"

# The value of $1, or the content of the file $1_FILE names (Docker secrets).
secret() {
  local file_var="$1_FILE"
  if [ -n "${!file_var:-}" ]; then cat "${!file_var}"; else printf '%s' "${!1:-}"; fi
}

password_of() {
  local name="LOGIN_${1^^}_PASSWORD" value
  value=$(secret "$name")
  [[ "$value" =~ ^[A-Za-z0-9._~-]+$ ]] || { echo "$name is not set, or holds other than URL-safe characters" >&2; exit 1; }
  printf '%s' "$value"
}

broker_password=$(password_of broker)
# The broker's logins: SCRAM to itself, PLAIN to its controller (which checks the same password).
export KAFKA_LISTENER_NAME_CLIENTS_SCRAM___SHA___512_SASL_JAAS_CONFIG="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"$broker_password\";"
export KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\" password=\"$broker_password\" user_broker=\"$broker_password\";"

umask 077
cat > /tmp/broker-client.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$KAFKA_LISTENER_NAME_CLIENTS_SCRAM___SHA___512_SASL_JAAS_CONFIG
PROPERTIES

if [ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]; then
  cat > /tmp/format.properties <<PROPERTIES
process.roles=$KAFKA_PROCESS_ROLES
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_CONTROLLER_QUORUM_VOTERS
controller.listener.names=$KAFKA_CONTROLLER_LISTENER_NAMES
listeners=$KAFKA_LISTENERS
listener.security.protocol.map=$KAFKA_LISTENER_SECURITY_PROTOCOL_MAP
inter.broker.listener.name=$KAFKA_INTER_BROKER_LISTENER_NAME
log.dirs=$KAFKA_LOG_DIRS
PROPERTIES
  logins=()
  for principal in $PRINCIPALS; do
    logins+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=$(password_of "$principal")]")
  done
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" -c /tmp/format.properties "${logins[@]}"
  rm /tmp/format.properties
fi

exec /etc/kafka/docker/run
