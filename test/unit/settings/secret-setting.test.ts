import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { kafkaConnection, redisLogin } from "../../../lib/environment";
import { secretSetting } from "../../../lib/settings/settings";

const dir = mkdtempSync(path.join(tmpdir(), "secret-setting-"));
const secretFile = path.join(dir, "jwt");
writeFileSync(secretFile, "from-the-file\n");

describe("a secret setting", () => {
  it("is the variable's value, or the trimmed content of the file its _FILE names", () => {
    expect(secretSetting({ JWT_SECRET: "from-the-variable" }, "JWT_SECRET")).toBe("from-the-variable");
    expect(secretSetting({ JWT_SECRET_FILE: secretFile }, "JWT_SECRET")).toBe("from-the-file");
  });

  it("is unset when neither is given, or both are empty", () => {
    expect(secretSetting({}, "JWT_SECRET")).toBeUndefined();
    expect(secretSetting({ JWT_SECRET: "", JWT_SECRET_FILE: "" }, "JWT_SECRET")).toBeUndefined();
  });

  it("refuses both at once, and a file that cannot be read, naming the variable", () => {
    expect(() => secretSetting({ JWT_SECRET: "a", JWT_SECRET_FILE: secretFile }, "JWT_SECRET")).toThrow("JWT_SECRET and JWT_SECRET_FILE are both set");
    expect(() => secretSetting({ JWT_SECRET_FILE: path.join(dir, "missing") }, "JWT_SECRET")).toThrow(/JWT_SECRET_FILE names .*missing/);
  });
});

describe("the Kafka and Redis logins", () => {
  it("are SCRAM-SHA-512 and a Redis user when a username is given, the password from its variable or its file", () => {
    const file = path.join(dir, "kafka-password");
    writeFileSync(file, "from-a-file\n");
    expect(kafkaConnection({ KAFKA_BROKERS: "k:9092", KAFKA_USERNAME: "payment", KAFKA_PASSWORD_FILE: file })).toEqual({
      brokers: ["k:9092"],
      sasl: { mechanism: "scram-sha-512", username: "payment", password: "from-a-file" },
    });
    expect(redisLogin({ REDIS_USERNAME: "services", REDIS_PASSWORD: "p" })).toEqual({ username: "services", password: "p" });
  });

  it("are anonymous without a username, and refused with a username but no password", () => {
    expect(kafkaConnection({ KAFKA_BROKERS: "k:9092" }).sasl).toBeUndefined();
    expect(redisLogin({})).toEqual({});
    expect(() => kafkaConnection({ KAFKA_USERNAME: "payment" })).toThrow(/KAFKA_PASSWORD/);
    expect(() => redisLogin({ REDIS_USERNAME: "services" })).toThrow(/REDIS_PASSWORD/);
  });
});
