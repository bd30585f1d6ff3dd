/** Each service's settings: the defaults, values taken from the environment, and a refusal naming the variable for a bad one. */
import { readBrokerSettings } from "../../../lib/settings/broker-settings";
import { choiceSetting, flagSetting, fractionSetting, integerSetting, listSetting, textSetting } from "../../../lib/settings/settings";
import { readAccountSettings } from "../../../services/account/account-settings";
import { readApiSettings } from "../../../services/api/api-settings";
import { readProductSettings } from "../../../services/product/product-settings";

describe("the setting readers", () => {
  it("answer the default for a variable unset or empty", () => {
    expect(integerSetting({ N: "" }, "N", 5, 1)).toBe(5);
    expect(fractionSetting({}, "F", 0.01, 0, 1)).toBe(0.01);
    expect(flagSetting({ B: "" }, "B", true)).toBe(true);
    expect(textSetting({}, "T", "x", /^x$/, "x")).toBe("x");
    expect(choiceSetting({}, "C", "info", ["info", "warn"])).toBe("info");
    expect(listSetting({}, "L")).toEqual([]);
  });

  it("read what is given", () => {
    expect(integerSetting({ N: "7" }, "N", 5, 1, 10)).toBe(7);
    expect(fractionSetting({ F: "0.2" }, "F", 0.01, 0, 1)).toBe(0.2);
    expect(flagSetting({ B: "false" }, "B", true)).toBe(false);
    expect(choiceSetting({ C: "warn" }, "C", "info", ["info", "warn"])).toBe("warn");
    expect(listSetting({ L: " a, ,b ," }, "L")).toEqual(["a", "b"]);
  });

  it.each([
    ["an integer out of range", () => integerSetting({ N: "11" }, "N", 5, 1, 10), /N must be an integer from 1 to 10, got "11"/],
    ["a fraction at its bound", () => fractionSetting({ F: "1" }, "F", 0.01, 0, 1), /F must be a number between 0 and 1/],
    ["a flag that is neither true nor false", () => flagSetting({ B: "yes" }, "B", false), /B must be "true" or "false"/],
    ["text not matching", () => textSetting({ T: "y" }, "T", "x", /^x$/, "just x"), /T must be just x, got "y"/],
    ["a choice not offered", () => choiceSetting({ C: "loud" }, "C", "info", ["info", "warn"]), /C must be one of info, warn/],
  ])("refuse %s", (_, read, message) => {
    expect(read).toThrow(message);
  });
});

describe("service settings", () => {
  it("default to a loopback node with metrics off, hourly pruning and the documented limits", () => {
    expect(readBrokerSettings({})).toEqual({
      namespace: "",
      nodeId: undefined,
      logLevel: "info",
      logFormat: "text",
      bulkhead: { concurrency: 50, maxQueueSize: 1_000 },
      metricsPort: null,
      bindAddress: "127.0.0.1",
      pruneIntervalMs: 3_600_000,
      outboxWatchIntervalMs: 5_000,
      outboxStallAfterMs: 30_000,
      connectUrl: null,
    });
    expect(readApiSettings({})).toMatchObject({
      bindAddress: "127.0.0.1",
      rateLimit: { auth: 20, other: 600, windowMs: 60_000, keyPrefix: "ratelimit" },
      trustProxy: false,
      bodyLimit: "32kb",
      corsOrigins: undefined,
      expectedServices: [],
    });
    expect(readProductSettings({}).cache).toEqual({ detailTtlMs: 300_000, listTtlMs: 60_000, filterCapacity: 1_000_000, filterFalsePositiveRate: 0.01 });
    expect(readAccountSettings({}).argon2.memoryKiB).toBe(19_456);
  });

  it("take values from the environment", () => {
    expect(
      readBrokerSettings({
        METRICS_PORT: "13030",
        LOG_LEVEL: "debug",
        NODE_ID: "api-1",
        CONNECT_URL: "http://127.0.0.1:18083",
        OUTBOX_STALL_AFTER_MS: "60000",
      }),
    ).toMatchObject({
      connectUrl: "http://127.0.0.1:18083",
      outboxStallAfterMs: 60_000,
      metricsPort: 13_030,
      logLevel: "debug",
      nodeId: "api-1",
    });
    expect(readApiSettings({ TRUST_PROXY: "true", EXPECTED_SERVICES: "account,product", BODY_LIMIT: "64kb" })).toMatchObject({
      trustProxy: true,
      expectedServices: ["account", "product"],
      bodyLimit: "64kb",
    });
    expect(readAccountSettings({ PASSWORD_ARGON2_MEMORY_KIB: "4096" }).argon2.memoryKiB).toBe(4_096);
  });

  it.each([
    ["LOG_LEVEL", () => readBrokerSettings({ LOG_LEVEL: "loud" })],
    ["METRICS_PORT", () => readBrokerSettings({ METRICS_PORT: "70000" })],
    ["BIND_ADDRESS", () => readBrokerSettings({ BIND_ADDRESS: "localhost; rm" })],
    ["BULKHEAD_CONCURRENCY", () => readBrokerSettings({ BULKHEAD_CONCURRENCY: "0" })],
    ["CONNECT_URL", () => readBrokerSettings({ CONNECT_URL: "connect:8083" })],
    ["OUTBOX_WATCH_INTERVAL_MS", () => readBrokerSettings({ OUTBOX_WATCH_INTERVAL_MS: "10" })],
    ["RATE_LIMIT", () => readApiSettings({ RATE_LIMIT: "many" })],
    ["TRUST_PROXY", () => readApiSettings({ TRUST_PROXY: "1" })],
    ["BODY_LIMIT", () => readApiSettings({ BODY_LIMIT: "lots" })],
    // Redis lets the services' user touch ratelimit* keys only.
    ["RATE_LIMIT_PREFIX", () => readApiSettings({ RATE_LIMIT_PREFIX: "limits" })],
    ["PRODUCT_FILTER_FALSE_POSITIVE_RATE", () => readProductSettings({ PRODUCT_FILTER_FALSE_POSITIVE_RATE: "0" })],
    ["PRODUCT_CACHE_TTL_MS", () => readProductSettings({ PRODUCT_CACHE_TTL_MS: "-1" })],
    ["PASSWORD_ARGON2_MEMORY_KIB", () => readAccountSettings({ NODE_ENV: "production", PASSWORD_ARGON2_MEMORY_KIB: "4096" })],
  ])("refuse a bad %s, naming it", (name, read) => {
    expect(read).toThrow(name);
  });
});
