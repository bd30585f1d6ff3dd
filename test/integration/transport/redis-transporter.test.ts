import { ServiceBroker, type ServiceSchema } from "moleculer";
import config from "../../../moleculer.config";
import { waitUntil } from "../../support/wait";

// Two brokers on the real Redis Cluster, wired by the project's transporter settings and nothing else.
const namespace = `transport-test-${process.pid}`;

function brokerNamed(name: string, services: ServiceSchema[]): ServiceBroker {
  const broker = new ServiceBroker({ ...config, namespace, nodeID: `${name}-${process.pid}`, cacher: undefined, middlewares: [], logger: false });
  for (const schema of services) broker.createService(schema);
  return broker;
}

type Departure = { node: { id: string }; unexpected: boolean };
const departures: Departure[] = [];

const watcher = brokerNamed("watcher", [
  { name: "departures", events: { "$node.disconnected": (ctx: { params: Departure }) => void departures.push(ctx.params) } },
]);
const leaver = brokerNamed("leaver", [{ name: "leaver", actions: { ping: () => "pong" } }]);

beforeAll(async () => {
  await watcher.start();
  await leaver.start();
  await watcher.waitForServices("leaver", 60_000);
});

afterAll(async () => {
  await leaver.stop();
  await watcher.stop();
});

describe("the Redis transporter", () => {
  it("carries a request and its response", async () => {
    expect(await watcher.call("leaver.ping")).toBe("pong");
  });

  it("delivers a stopping broker's DISCONNECT packet before it closes the connection", async () => {
    await leaver.stop();
    const departure = await waitUntil("the watcher to see the leaver go", () => departures.find((d) => d.node.id === leaver.nodeID), 60_000);
    // A lost packet shows up only at the heartbeat timeout, as an unexpected departure.
    expect(departure.unexpected).toBe(false);
  });
});
