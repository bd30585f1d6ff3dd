/**
 * Who may do what in Redis: the ACL users every node of the cluster knows,
 * from ops/redis/access.conf.template (its comments say who each user is
 * for). The local stack writes the template, passwords filled in, into each
 * node's config file; compose's nodes do the same on start
 * (ops/redis/start-node.sh). The cluster bus (port + 10000) is not covered by
 * ACLs: it must stay on a network only the nodes reach.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { installationSecret } from "./installation-secret";
import { repoRoot } from "./layout";

export const REDIS_ADMIN_USER = "admin";
export const REDIS_SERVICES_USER = "services";
export const REDIS_REPLICATION_USER = "replication";

export const REDIS_ACCESS_TEMPLATE = path.join(repoRoot, "ops", "redis", "access.conf.template");

export const redisPassword = (user: string) => installationSecret(`redis-${user}-password`);

/** The template's variable for a user's password: REDIS_<USER>_PASSWORD, as compose names its secrets. */
export const redisPasswordVariable = (user: string) => `REDIS_${user.toUpperCase()}_PASSWORD`;

/** The config directives of every node (comments dropped), each `${REDIS_<USER>_PASSWORD}` replaced by that user's password. */
export function redisAccessDirectives(password: (user: string) => string = redisPassword): string[] {
  return readFileSync(REDIS_ACCESS_TEMPLATE, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) =>
      line.replace(/\$\{REDIS_([A-Z]+)_PASSWORD\}/g, (_, user: string) => {
        const value = password(user.toLowerCase());
        if (/\s/.test(value)) throw new Error(`the Redis password of ${user.toLowerCase()} has white space, which a config line cannot hold`);
        return value;
      }),
    );
}
