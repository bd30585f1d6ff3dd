import { ownCredentialsOnly } from "../../../stack/services";
import { useStackEnv } from "../../../stack/stack-env";

const env = {
  PATH: "/usr/bin",
  JWT_SECRET: "s",
  DATABASE_URL_ACCOUNT: "postgres://account_service@db/account",
  DATABASE_URL_PAYMENT: "postgres://payment_service@db/payment",
  DATABASE_URL_PAYMENT_FILE: "/run/secrets/payment",
  CDC_DATABASE_URL_PAYMENT: "postgres://payment_cdc@db/payment",
  KAFKA_USERNAME: "admin",
  KAFKA_PASSWORD_FILE: "/run/secrets/kafka-admin",
  REDIS_USERNAME: "admin",
  REDIS_PASSWORD: "r",
};

describe("a service's environment", () => {
  it("keeps its own database's credentials and drops everyone else's, Debezium's and the Kafka and Redis admin's included", () => {
    expect(ownCredentialsOnly(env, "payment")).toEqual({
      PATH: "/usr/bin",
      JWT_SECRET: "s",
      DATABASE_URL_PAYMENT: "postgres://payment_service@db/payment",
      DATABASE_URL_PAYMENT_FILE: "/run/secrets/payment",
    });
  });

  it("holds no database credentials for the gateway and ops", () => {
    for (const name of ["api", "ops"]) expect(ownCredentialsOnly(env, name)).toEqual({ PATH: "/usr/bin", JWT_SECRET: "s" });
  });
});

describe("the stack's settings in a process's environment", () => {
  it("are not made up under NODE_ENV=production (compose's jobs are given theirs, and a missing one must be named)", () => {
    const env: NodeJS.ProcessEnv = { NODE_ENV: "production", DATABASE_URL_ACCOUNT: "postgres://account_service@db/account" };
    useStackEnv(env);
    expect(env).toEqual({ NODE_ENV: "production", DATABASE_URL_ACCOUNT: "postgres://account_service@db/account" });
  });
});
