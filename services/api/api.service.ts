/** The API gateway (moleculer-web): the only HTTP door into the system. */
import type { ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { gatewayPort } from "../../lib/environment";

const ApiService: ServiceSchema = {
  name: "api",
  mixins: [ApiGateway],
  settings: {
    port: gatewayPort(),
    ip: process.env.BIND_ADDRESS ?? "127.0.0.1",
    routes: [
      {
        path: "/",
        aliases: {
          "GET health": "api.health",
          "GET ready": "api.ready",
        },
        mappingPolicy: "restrict",
      },
    ],
  },
  actions: {
    /** Alive: the process answers. */
    health: {
      handler() {
        return { status: "ok" };
      },
    },
    /** Ready: every service this gateway routes to is registered. */
    ready: {
      async handler(ctx) {
        const expected = (process.env.EXPECTED_SERVICES ?? "").split(",").filter(Boolean);
        const available = new Set(this.broker.registry.getServiceList({ onlyAvailable: true }).map((s: { name: string }) => s.name));
        const missing = expected.filter((name) => !available.has(name));
        if (missing.length > 0) {
          ctx.meta.$statusCode = 503;
          return { status: "starting", missing };
        }
        return { status: "ready" };
      },
    },
  },
};

export = ApiService;
