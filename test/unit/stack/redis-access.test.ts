import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisAccessDirectives } from "../../../stack/redis-access";

const passwords: Record<string, string> = { admin: "a-1", services: "s_2", replication: "r.3" };
const directives = redisAccessDirectives((user) => passwords[user]);
const rulesOf = (user: string) =>
  directives
    .find((line) => line.startsWith(`user ${user} `))
    ?.split(" ")
    .slice(2) ?? [];

describe("Redis's ACL directives", () => {
  it("turn the default user off, and give the services' user only named keys, Moleculer's channels and listed commands", () => {
    expect(rulesOf("default").slice(0, 2)).toEqual(["off", "resetpass"]);
    const services = rulesOf("services");
    expect(services.slice(0, 2)).toEqual(["on", ">s_2"]);
    expect(services).toContain("-@all");
    expect(services.filter((rule) => rule.startsWith("&"))).toEqual(["&MOL*"]);
    for (const forbidden of ["+flushall", "+config", "+acl", "+keys", "+@all", "~*"]) expect(services).not.toContain(forbidden);
    expect(directives).toEqual(expect.arrayContaining(["masteruser replication", "masterauth r.3"]));
  });

  it("keep the off default user's rules those of the services plus what the AOF records (its replay runs as default)", () => {
    const withoutLogin = (rules: string[]) => rules.filter((rule) => !["on", "off", "resetpass"].includes(rule) && !rule.startsWith(">"));
    expect(withoutLogin(rulesOf("default"))).toEqual([...withoutLogin(rulesOf("services")), "+pexpireat"]);
  });

  it("come out the same from compose's start script", () => {
    // Stand-ins for the image's entrypoint (prints what Redis would be started with) and for chown.
    const bin = mkdtempSync(path.join(tmpdir(), "redis-start-"));
    writeFileSync(path.join(bin, "docker-entrypoint.sh"), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    writeFileSync(path.join(bin, "chown"), "#!/bin/sh\n");
    chmodSync(path.join(bin, "docker-entrypoint.sh"), 0o755);
    chmodSync(path.join(bin, "chown"), 0o755);
    const started = execFileSync("sh", [path.join(__dirname, "../../../ops/redis/start-node.sh"), "redis-4"], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        REDIS_ADMIN_PASSWORD: passwords.admin,
        REDIS_SERVICES_PASSWORD: passwords.services,
        REDIS_REPLICATION_PASSWORD: passwords.replication,
      },
      encoding: "utf8",
    }).split("\n");
    expect(started.slice(0, 2)).toEqual(["redis-server", "/tmp/access.conf"]);
    expect(started).toEqual(expect.arrayContaining(["--cluster-announce-hostname", "redis-4"]));
    expect(readFileSync("/tmp/access.conf", "utf8").trim().split("\n")).toEqual(directives);
  });

  it("are refused by compose's start script when a password is missing", () => {
    expect(() =>
      execFileSync("sh", [path.join(__dirname, "../../../ops/redis/start-node.sh"), "redis-1"], {
        env: { PATH: process.env.PATH, REDIS_ADMIN_PASSWORD: "a", REDIS_SERVICES_PASSWORD: "s" },
        stdio: "pipe",
      }),
    ).toThrow(/REDIS_REPLICATION_PASSWORD is not set/);
  });
});
