/** The gateway's settings, from the environment; a bad value stops it at startup. */
import { gatewayPort } from "../../lib/environment";
import { readBrokerSettings } from "../../lib/settings/broker-settings";
import { flagSetting, integerSetting, listSetting, textSetting, type Environment } from "../../lib/settings/settings";

export interface ApiSettings {
  port: number;
  bindAddress: string;
  /** Requests per client per window: on the auth routes, and on the rest. */
  rateLimit: { auth: number; other: number; windowMs: number; keyPrefix: string };
  /** Take the client's address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** The largest JSON body, as body-parser reads it ("32kb"). */
  bodyLimit: string;
  /** CORS_ORIGINS as given; http-edge.ts reads the list. */
  corsOrigins: string | undefined;
  /** Services /ready waits for. */
  expectedServices: string[];
}

export function readApiSettings(env: Environment = process.env): ApiSettings {
  return {
    port: gatewayPort(env),
    bindAddress: readBrokerSettings(env).bindAddress,
    rateLimit: {
      auth: integerSetting(env, "AUTH_RATE_LIMIT", 20, 1),
      other: integerSetting(env, "RATE_LIMIT", 600, 1),
      windowMs: integerSetting(env, "RATE_LIMIT_WINDOW_MS", 60_000, 1_000),
      // Redis lets the services' user touch keys beginning with "ratelimit" only (stack/redis-access.ts).
      keyPrefix: textSetting(
        env,
        "RATE_LIMIT_PREFIX",
        "ratelimit",
        /^ratelimit[A-Za-z0-9:._-]{0,55}$/,
        "'ratelimit' then letters, digits, ':', '.', '_' or '-' (at most 64 in all)",
      ),
    },
    trustProxy: flagSetting(env, "TRUST_PROXY", false),
    bodyLimit: textSetting(env, "BODY_LIMIT", "32kb", /^[1-9][0-9]*(b|kb|mb)$/i, "a size such as 32kb"),
    corsOrigins: env.CORS_ORIGINS,
    expectedServices: listSetting(env, "EXPECTED_SERVICES"),
  };
}
