/**
 * Who may do what in Redis: the ACL users every node of the cluster knows.
 *
 * - `default` is off: a client that does not log in can do nothing. It still
 *   holds the services' key and command rules, because Redis replays the
 *   append-only file as `default` and, up to 7.2, re-checks its rules inside
 *   MULTI/EXEC (redis/redis#14541): a script's writes, which the AOF records
 *   as MULTI/EXEC, would be dropped on every restart. Being off, nobody can
 *   log in as it.
 * - `services` is every service's login (the transporter needs them all on
 *   the same channels): Moleculer's channels, and only the keys and commands
 *   the code uses. It cannot read or write other keys, nor run FLUSHALL,
 *   CONFIG, ACL, KEYS, MONITOR, DEBUG, SHUTDOWN or a cluster change.
 * - `replication` is what a replica logs in as to its primary.
 * - `admin` can do everything: the stack tool (cluster creation, status),
 *   tests and benchmarks.
 *
 * The local stack writes these into each node's config file; compose passes
 * the same rules on the command line (docker-compose.yml, checked by a unit
 * test). The cluster bus (port + 10000) is not covered by ACLs: it must stay
 * on a network only the nodes reach.
 */
import { installationSecret } from "./installation-secret";

export const REDIS_ADMIN_USER = "admin";
export const REDIS_SERVICES_USER = "services";
export const REDIS_REPLICATION_USER = "replication";

/** The keys the services touch, by owner. */
const SERVICES_KEYS = [
  "cache-*", // Moleculer's cacher (moleculer.config.ts, prefix "cache")
  "product:*", // the product read cache and its fill locks (services/product/product-read-cache.ts)
  "{catalog}:*", // the product lists
  "{cf:*", // the cuckoo filter of product ids (lib/cache/cuckoo-filter.ts)
  "ratelimit*", // the gateway's rate-limit counters (RATE_LIMIT_PREFIX begins with "ratelimit")
  "ops:*", // the dashboard's requeue marks (services/ops)
];

/** Moleculer's transporter channels: MOL.<packet>… or MOL-<namespace>.<packet>… */
const SERVICES_CHANNELS = ["MOL*"];

const SERVICES_COMMANDS = [
  // connection and cluster topology, as ioredis asks for them
  "ping",
  "echo",
  "quit",
  "info",
  "cluster|slots",
  "cluster|shards",
  "cluster|nodes",
  "cluster|info",
  "readonly",
  "client|setname",
  // the transporter
  "publish",
  "subscribe",
  "unsubscribe",
  // caches, locks, counters and the filter (the scripts' own calls are checked against this list too)
  "get",
  "set",
  "del",
  "exists",
  "ttl",
  "pttl",
  "incr",
  "expire",
  "pexpire",
  "persist",
  "rename",
  "setrange",
  "scan",
  "hget",
  "hset",
  "hgetall",
  "hlen",
  "hmget",
  "hdel",
  "hincrby",
  "bitfield",
  "bitfield_ro",
  "eval",
  "evalsha",
  "script|load",
];

/** How the append-only file records what the services' commands did (an expiry as its absolute time). */
const REPLAYED_COMMANDS = ["pexpireat"];

const servicesPermissions = () => [
  "resetkeys",
  ...SERVICES_KEYS.map((k) => `~${k}`),
  "resetchannels",
  ...SERVICES_CHANNELS.map((c) => `&${c}`),
  "-@all",
  ...SERVICES_COMMANDS.map((c) => `+${c}`),
];

/** The `default` user's rules: off, yet allowed to replay what the services wrote (see above). */
const defaultUserRules = () => ["off", "resetpass", ...servicesPermissions(), ...REPLAYED_COMMANDS.map((c) => `+${c}`)].join(" ");

/** A user's ACL rules after its name, with the password as `>password`. */
export function redisUserRules(user: string, password: string): string {
  const pass = `>${password}`;
  switch (user) {
    case REDIS_ADMIN_USER:
      return `on ${pass} ~* &* +@all`;
    case REDIS_SERVICES_USER:
      return ["on", pass, ...servicesPermissions()].join(" ");
    case REDIS_REPLICATION_USER:
      return `on ${pass} -@all +psync +replconf +ping`;
    default:
      throw new Error(`no Redis user named ${user}`);
  }
}

export const REDIS_USERS = [REDIS_ADMIN_USER, REDIS_SERVICES_USER, REDIS_REPLICATION_USER] as const;

export const redisPassword = (user: string) => installationSecret(`redis-${user}-password`);

/** The config directives of every node: its users (default off) and the login a replica uses to its primary. */
export function redisAccessDirectives(password: (user: string) => string = redisPassword): string[] {
  return [
    `user default ${defaultUserRules()}`,
    ...REDIS_USERS.map((user) => `user ${user} ${redisUserRules(user, password(user))}`),
    `masteruser ${REDIS_REPLICATION_USER}`,
    `masterauth ${password(REDIS_REPLICATION_USER)}`,
  ];
}
