/**
 * The payment service: wallets opened from account.events, and its part in
 * the purchase saga driven through Kafka exactly as the orchestrator drives
 * it; plus its owner-only read.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import type { KafkaMessage } from "kafkajs";
import type { ServiceBroker } from "moleculer";
import { CustomerRegistered } from "../../../contracts/account";
import { PaymentCompleted, PaymentDeclined, PaymentRefunded, ProcessPayment, RefundPayment } from "../../../contracts/purchase-saga";
import { publication, type MessageDeclaration, type PayloadOf } from "../../../lib/messages/message-declaration";
import { databaseUrl } from "../../../lib/environment";
import { OutboxWriter } from "../../../lib/outbox/outbox-writer";
import { paymentCommandHandlers } from "../../../services/payment/payment-commands";
import PaymentService from "../../../services/payment/payment.service";
import { walletSettings } from "../../../services/payment/wallet-opening";
import { startBroker } from "../../support/broker";
import { collectTopic, headerValue, publishRaw } from "../../support/kafka";
import { waitUntil } from "../../support/wait";
import { someoneWaitsOnALock } from "./lock-waits";
import { OrchestratorStandIn, type SentCommand } from "./orchestrator-stand-in";

// Step of the purchase saga, from 0: reserve, create order, pay, approve.
const PAY_STEP = 2;
const { initialCredit, currency } = walletSettings();
const handlers = paymentCommandHandlers(walletSettings());

const accountDb = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 2 } });
const paymentDb = knex({ client: "pg", connection: databaseUrl("payment"), pool: { min: 0, max: 4 } });
let broker: ServiceBroker;
let orchestrator: OrchestratorStandIn;
/** Every payment command as Kafka carried it, to re-deliver one verbatim. */
let commandRecords: { records: KafkaMessage[]; stop: () => Promise<void> };

beforeAll(async () => {
  orchestrator = await OrchestratorStandIn.start();
  commandRecords = await collectTopic(ProcessPayment.topic);
  broker = await startBroker([PaymentService]);
});

afterAll(async () => {
  await broker?.stop();
  await orchestrator?.stop();
  await commandRecords?.stop();
  await Promise.all([accountDb.destroy(), paymentDb.destroy()]);
});

/** Announces a registration the way the account service does: through its outbox. Returns the message id. */
async function announceRegistration(customerId: string): Promise<string> {
  const event: CustomerRegistered = {
    customerId,
    email: `${customerId}@example.com`,
    firstName: "Test",
    lastName: "Customer",
    registeredAt: new Date().toISOString(),
  };
  const [id] = await accountDb.transaction((trx) => new OutboxWriter().append(trx, publication(CustomerRegistered, customerId, event)));
  return id;
}

const walletOf = (customerId: string) =>
  broker.call<{ balance: number; currency: string } | null, { customerId: string }>("payment.customerWallet", { customerId });
const paymentOf = (purchaseId: string) => broker.call<Record<string, any> | null, { purchaseId: string }>("payment.byPurchase", { purchaseId });
const balanceOf = async (customerId: string) => (await walletOf(customerId))!.balance;
const applied = async (messageId: string) => (await paymentDb("inbox").where({ consumer: "payment", message_id: messageId })).length === 1;
const asCustomer = (id: string) => ({ meta: { user: { id, role: "customer" } } });

/** A registered customer whose wallet is open with the initial credit. */
async function customerWithWallet(): Promise<string> {
  const customerId = randomUUID();
  await announceRegistration(customerId);
  await waitUntil("the wallet to open", () => walletOf(customerId));
  return customerId;
}

const aCharge = (customerId: string, amount: number, overrides: Partial<ProcessPayment> = {}): ProcessPayment => ({
  purchaseId: randomUUID(),
  customerId,
  amount,
  currency,
  ...overrides,
});

const processPayment = (charge: ProcessPayment, attempt = 1) => orchestrator.send(ProcessPayment, charge.purchaseId, charge, { step: PAY_STEP, attempt });
/** ProcessPayment / RefundPayment as the inbox hands them over, to run in a transaction of the test's own. */
const inboundCommand = <D extends MessageDeclaration>(command: D, payload: PayloadOf<D> & { purchaseId: string }) =>
  orchestrator.inbound(command, payload.purchaseId, payload, { step: PAY_STEP });
const refundPayment = (purchaseId: string, attempt = 1) =>
  orchestrator.send(RefundPayment, purchaseId, { purchaseId }, { step: PAY_STEP, direction: "compensate", attempt });

async function completedPayment(charge: ProcessPayment): Promise<string> {
  const reply = await orchestrator.replyTo<typeof PaymentCompleted>(await processPayment(charge));
  expect(reply.type).toBe(PaymentCompleted.name);
  return reply.payload.paymentId;
}

/** Publishes the command's Kafka record once more, exactly as it was: what a redelivery looks like. */
async function redeliver(command: SentCommand): Promise<void> {
  const record = await waitUntil("the command's record", () => commandRecords.records.find((r) => headerValue(r, "id") === command.id));
  const headers = Object.fromEntries(Object.entries(record.headers ?? {}).filter(([, value]) => value != null)) as KafkaMessage["headers"];
  await publishRaw(ProcessPayment.topic, [{ key: record.key, value: record.value, headers }]);
}

describe("wallets", () => {
  test("CustomerRegistered opens one wallet with the initial credit; a repeat neither adds one nor resets it", async () => {
    const customerId = await customerWithWallet();
    expect(await walletOf(customerId)).toMatchObject({ customer_id: customerId, balance: initialCredit, currency });

    await completedPayment(aCharge(customerId, 500));
    const repeat = await announceRegistration(customerId);
    await waitUntil("the repeated registration to be applied", () => applied(repeat));

    expect(await paymentDb("wallets").where({ customer_id: customerId })).toHaveLength(1);
    expect(await balanceOf(customerId)).toBe(initialCredit - 500);
  });
});

describe("ProcessPayment", () => {
  test("within the balance: completed, recorded, and the balance reduced by the amount", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 24460);
    const sent = await processPayment(charge);

    const reply = await orchestrator.replyTo<typeof PaymentCompleted>(sent);
    expect(reply).toEqual({
      type: PaymentCompleted.name,
      correlation: sent.correlation,
      payload: { purchaseId: charge.purchaseId, paymentId: expect.any(String) },
    });
    expect(await balanceOf(customerId)).toBe(initialCredit - 24460);
    expect(await paymentOf(charge.purchaseId)).toMatchObject({
      id: reply.payload.paymentId,
      customer_id: customerId,
      amount: 24460,
      currency,
      status: "COMPLETED",
      reason: null,
    });
  });

  test("beyond the balance: declined with the reason, recorded, and the balance untouched", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, initialCredit + 1);

    const reply = await orchestrator.replyTo<typeof PaymentDeclined>(await processPayment(charge));
    expect(reply).toMatchObject({
      type: PaymentDeclined.name,
      payload: { purchaseId: charge.purchaseId, reason: expect.stringMatching(/insufficient funds/) },
    });
    expect(await balanceOf(customerId)).toBe(initialCredit);
    expect(await paymentOf(charge.purchaseId)).toMatchObject({ status: "DECLINED", amount: initialCredit + 1 });
  });

  test("exactly the whole balance is taken, leaving zero", async () => {
    const customerId = await customerWithWallet();
    await completedPayment(aCharge(customerId, initialCredit));
    expect(await balanceOf(customerId)).toBe(0);
  });

  test("in another currency than the wallet's: declined, balance untouched", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 100, { currency: currency === "USD" ? "EUR" : "USD" });

    const reply = await orchestrator.replyTo<typeof PaymentDeclined>(await processPayment(charge));
    expect(reply).toMatchObject({ type: PaymentDeclined.name, payload: { reason: expect.stringMatching(`the wallet holds ${currency}`) } });
    expect(await balanceOf(customerId)).toBe(initialCredit);
  });

  test("ahead of its customer's CustomerRegistered: the wallet opens with the starting credit, once", async () => {
    const customerId = randomUUID();
    const charge = aCharge(customerId, 100);
    const reply = await orchestrator.replyTo<typeof PaymentCompleted>(await processPayment(charge));
    expect(reply.type).toBe(PaymentCompleted.name);
    expect(await balanceOf(customerId)).toBe(initialCredit - 100);
  });

  test("re-sent and re-delivered, it charges once and repeats the recorded outcome", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 1000);
    const first = await processPayment(charge);
    const paymentId = (await orchestrator.replyTo<typeof PaymentCompleted>(first)).payload.paymentId;

    await redeliver(first);
    // Same key, same partition: once the re-send is answered, the re-delivery before it has been handled.
    const resent = await orchestrator.replyTo<typeof PaymentCompleted>(await processPayment(charge, 2));

    expect(resent).toMatchObject({ type: PaymentCompleted.name, payload: { paymentId } });
    expect(orchestrator.repliesTo(first)).toHaveLength(1);
    expect(await balanceOf(customerId)).toBe(initialCredit - 1000);
  });

  test("two at once for one purchase, uncommitted: the database lets one charge through", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 700);

    const first = await paymentDb.transaction();
    await handlers.ProcessPayment.handle(first, inboundCommand(ProcessPayment, charge));
    const second = paymentDb.transaction((trx) => handlers.ProcessPayment.handle(trx, inboundCommand(ProcessPayment, charge)));
    await waitUntil("the second to wait for the first", () => someoneWaitsOnALock(paymentDb));
    await first.commit();

    // The second debited too, then hit the unique purchase: its whole transaction, debit included, rolls back.
    await expect(second).rejects.toThrow(/payments_purchase_id_unique/);
    expect(await balanceOf(customerId)).toBe(initialCredit - 700);
  });
});

describe("RefundPayment", () => {
  test("credits the payment back exactly once, though the refund is re-sent", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 3780);
    await completedPayment(charge);
    expect(await balanceOf(customerId)).toBe(initialCredit - 3780);

    const first = await orchestrator.replyTo(await refundPayment(charge.purchaseId));
    const second = await orchestrator.replyTo(await refundPayment(charge.purchaseId, 2));

    expect([first.type, second.type]).toEqual([PaymentRefunded.name, PaymentRefunded.name]);
    expect(await balanceOf(customerId)).toBe(initialCredit);
    expect(await paymentOf(charge.purchaseId)).toMatchObject({ status: "REFUNDED" });
  });

  test("of a declined payment: nothing to credit, still PaymentRefunded", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, initialCredit + 1);
    await orchestrator.replyTo(await processPayment(charge));

    const reply = await orchestrator.replyTo(await refundPayment(charge.purchaseId));
    expect(reply).toMatchObject({ type: PaymentRefunded.name, payload: { purchaseId: charge.purchaseId } });
    expect(await balanceOf(customerId)).toBe(initialCredit);
    expect(await paymentOf(charge.purchaseId)).toMatchObject({ status: "DECLINED" });
  });

  test("overtaking its ProcessPayment, it leaves a tombstone: the late payment is declined and takes nothing", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 1390);

    const refunded = await orchestrator.replyTo(await refundPayment(charge.purchaseId));
    expect(refunded.type).toBe(PaymentRefunded.name);
    const late = await orchestrator.replyTo<typeof PaymentDeclined>(await processPayment(charge));

    expect(late).toMatchObject({ type: PaymentDeclined.name, payload: { reason: expect.stringMatching(/cancelled before its payment/) } });
    expect(await balanceOf(customerId)).toBe(initialCredit);
  });

  test("racing an uncommitted payment, it waits for it and refunds it", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 900);

    const paying = await paymentDb.transaction();
    await handlers.ProcessPayment.handle(paying, inboundCommand(ProcessPayment, charge));
    const refunding = paymentDb.transaction((trx) => handlers.RefundPayment.handle(trx, inboundCommand(RefundPayment, { purchaseId: charge.purchaseId })));
    await waitUntil("the refund to wait for the payment", () => someoneWaitsOnALock(paymentDb));
    await paying.commit();
    await refunding;

    expect(await paymentOf(charge.purchaseId)).toMatchObject({ status: "REFUNDED", amount: 900 });
    expect(await balanceOf(customerId)).toBe(initialCredit);
  });
});

describe("payment.get", () => {
  test("shows the owner the payment, in snake_case", async () => {
    const customerId = await customerWithWallet();
    const charge = aCharge(customerId, 1390);
    const paymentId = await completedPayment(charge);

    expect(await broker.call("payment.get", { id: paymentId }, asCustomer(customerId))).toEqual({
      id: paymentId,
      purchase_id: charge.purchaseId,
      amount: 1390,
      currency,
      status: "COMPLETED",
      reason: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  test("answers 404 to anyone but the owner and for unknown payments, 401 without a caller; 422 to a malformed id", async () => {
    const customerId = await customerWithWallet();
    const paymentId = await completedPayment(aCharge(customerId, 100));

    const notFound = { code: 404, type: "NOT_FOUND" };
    await expect(broker.call("payment.get", { id: paymentId }, asCustomer(randomUUID()))).rejects.toMatchObject(notFound);
    // Without a caller it is the missing token that answers, as in every service.
    await expect(broker.call("payment.get", { id: paymentId })).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });
    await expect(broker.call("payment.get", { id: randomUUID() }, asCustomer(customerId))).rejects.toMatchObject(notFound);
    await expect(broker.call("payment.get", { id: "42" }, asCustomer(customerId))).rejects.toMatchObject({ code: 422 });
  });
});
