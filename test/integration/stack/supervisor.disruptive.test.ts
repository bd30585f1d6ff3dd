/**
 * The services are supervised: the order service, killed outright, is
 * started again (a new pid in its pid file, the exit and the restart in its
 * log), the gateway is ready again, and a purchase still completes.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { servicesDir } from "../../../stack/layout";
import { isAlive } from "../../../stack/processes";
import { api, registerCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

const pidFile = path.join(servicesDir, "order.pid");
const logFile = path.join(servicesDir, "order.log");

const readPid = () => Number(readFileSync(pidFile, "utf8"));

test("a killed service is restarted, /ready recovers, and a purchase still completes", async () => {
  const killedPid = readPid();
  expect(isAlive(killedPid)).toBe(true);
  // Only what the log gains from here on tells about this kill.
  const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;

  process.kill(killedPid, "SIGKILL");

  const restartedPid = await waitUntil(
    "order.pid to hold a new live process",
    () => {
      const pid = readPid();
      return pid !== killedPid && isAlive(pid) && pid;
    },
    120_000,
    200,
  );
  // A byte offset (the log holds multi-byte characters such as "✔").
  const logSinceKill = readFileSync(logFile).subarray(logOffset).toString("utf8");
  expect(logSinceKill).toMatch(/\[supervisor\] \S+ order exited with signal SIGKILL after [\d.]+ s; restarting in [\d.]+ s/);
  expect(logSinceKill).toMatch(new RegExp(`order restarted, pid ${restartedPid}\\b`));

  // The gateway only notices a dead node after Moleculer's heartbeat timeout, and the new one keeps its node id: /ready may never have
  // left 200 (a fast restart) or be 503 for a while (a slow one). Either way it must end at 200; the purchase below proves the new process works.
  await waitUntil("GET /ready to answer 200", async () => (await api("GET", "/ready")).status === 200, 180_000, 500);

  // On a busy machine the first calls after a restart can outlast the gateway's 10 s request timeout (504): wait until it serves again.
  const { customer, purchaseId } = await waitUntil(
    "a customer, a product and a purchase to be accepted",
    async () => {
      const customer = await registerCustomer();
      const productId = await catalogProduct(customer.accessToken, 5_000, 10);
      return { customer, purchaseId: await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]) };
    },
    180_000,
    1_000,
  );
  const purchase = await purchaseWhenTerminal(customer.accessToken, purchaseId, 180_000);
  expect(purchase.status).toBe("COMPLETED");
  // The gateway reaches the restarted order service over Moleculer too, not only its Kafka consumer.
  await waitUntil(
    "GET /orders/:id to answer 200",
    async () => (await api("GET", `/api/v1/orders/${purchase.order_id}`, { token: customer.accessToken })).status === 200,
    60_000,
    1_000,
  );
  expect(readPid()).toBe(restartedPid);
}, 900_000);
