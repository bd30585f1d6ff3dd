import { ownCredentialsOnly } from "../../../stack/services";

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
