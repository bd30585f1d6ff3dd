/** Where the parts are (lib/environment.ts): checked like every other setting, and never the local stack's in production. */
import { LOCAL_STACK, connectUrl, gatewayPort, kafkaBrokers, redisNodes, storeCurrency } from "../../../lib/environment";

describe("the parts' addresses", () => {
  it("default to the local stack's outside production", () => {
    expect(redisNodes({})).toHaveLength(6);
    expect(kafkaBrokers({})).toEqual([`127.0.0.1:${LOCAL_STACK.kafkaPort}`]);
    expect(connectUrl({})).toBe(`http://127.0.0.1:${LOCAL_STACK.connectPort}`);
  });

  it("are read as given", () => {
    expect(redisNodes({ REDIS_NODES: "redis-1:6379, redis-2:6380" })).toEqual([
      { host: "redis-1", port: 6379 },
      { host: "redis-2", port: 6380 },
    ]);
    expect(kafkaBrokers({ KAFKA_BROKERS: "kafka:9092" })).toEqual(["kafka:9092"]);
  });

  it.each([
    ["REDIS_NODES", () => redisNodes({ NODE_ENV: "production" })],
    ["KAFKA_BROKERS", () => kafkaBrokers({ NODE_ENV: "production" })],
    ["CONNECT_URL", () => connectUrl({ NODE_ENV: "production" })],
  ])("must be given in production: %s", (name, read) => {
    expect(read).toThrow(`${name} must be set in production`);
  });

  it.each([
    ["REDIS_NODES", () => redisNodes({ REDIS_NODES: "redis-1" })],
    ["KAFKA_BROKERS", () => kafkaBrokers({ KAFKA_BROKERS: "kafka:9092,," })],
    ["CONNECT_URL", () => connectUrl({ CONNECT_URL: "connect:8083" })],
    ["PORT", () => gatewayPort({ PORT: "80a" })],
    ["PORT", () => gatewayPort({ PORT: "70000" })],
  ])("refuse a value that is not an address: %s", (name, read) => {
    expect(read).toThrow(new RegExp(`^${name} must be`));
  });
});

describe("the store's currency", () => {
  it("is VND unless set", () => {
    expect(storeCurrency({})).toBe("VND");
    expect(storeCurrency({ STORE_CURRENCY: "EUR" })).toBe("EUR");
  });

  it("refuses at start what every purchase would be refused for", () => {
    expect(() => storeCurrency({ STORE_CURRENCY: "vnd" })).toThrow(/STORE_CURRENCY must be an ISO 4217 currency code/);
  });
});

describe("STACK_PORT_OFFSET", () => {
  /** The local stack as a process started with this offset sees it (read once, when the module loads). */
  function localStackWith(offset: string): typeof LOCAL_STACK {
    const saved = process.env.STACK_PORT_OFFSET;
    process.env.STACK_PORT_OFFSET = offset;
    try {
      let stack: typeof LOCAL_STACK | undefined;
      jest.isolateModules(() => {
        stack = (require("../../../lib/environment") as typeof import("../../../lib/environment")).LOCAL_STACK;
      });
      return stack!;
    } finally {
      if (saved === undefined) delete process.env.STACK_PORT_OFFSET;
      else process.env.STACK_PORT_OFFSET = saved;
    }
  }

  it("shifts every local-stack port", () => {
    expect(localStackWith("100").gatewayPort - localStackWith("0").gatewayPort).toBe(100);
  });

  it("refuses what is not a whole number of ports, instead of giving every port NaN", () => {
    expect(() => localStackWith("ten")).toThrow(/STACK_PORT_OFFSET must be an integer from 0 to 40000/);
  });
});
