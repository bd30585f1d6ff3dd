/**
 * The operator's dashboard in a real browser (Chromium through playwright-core)
 * against the running system: a purchase shows up live and its timeline ends
 * COMPLETED; a saga parked on purpose is retried from the page; a dead letter
 * is requeued from it; a replay is asked for and followed; and a customer is
 * turned away.
 */
import { ServiceBroker } from "moleculer";
import type { Page } from "playwright-core";
import config from "../../../moleculer.config";
import { openBrowser, type TestBrowser } from "../../support/browser";
import { stageDeadLetter } from "../../support/dead-letters";
import { freezeProcess, waitForHealthySystem } from "../../support/faults";
import { api, baseUrl, registerCustomer, type TestCustomer } from "../../support/http";
import { catalogProduct, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

/** Generous: a parked saga takes three step deadlines, each held back while its queue is unread, on a loaded machine. */
const PARK_BUDGET_MS = 150_000;
const PAGE_BUDGET_MS = 60_000;

let broker: ServiceBroker;
let browser: TestBrowser;
let page: Page;
let operator: TestCustomer;
let customer: TestCustomer;

/** A new account with the operator role, and a token that carries it. */
async function registerOperator(): Promise<TestCustomer> {
  const account = await registerCustomer();
  await broker.call("account.grantRole", { email: account.email, role: "admin" });
  const login = await api("POST", "/api/v1/account/auth/login", { body: { email: account.email, password: account.password } });
  return { ...account, accessToken: login.body.access_token };
}

async function signIn(as: TestCustomer): Promise<void> {
  await page.goto(`${baseUrl()}/ops/`);
  await page.fill("#login-form input[name=email]", as.email);
  await page.fill("#login-form input[name=password]", as.password);
  await page.click("#login-form button[type=submit]");
}

/** Accepts the page's next confirm or prompt, answering a prompt with `answer`. */
function acceptNextDialog(answer?: string): void {
  page.once("dialog", (dialog) => void dialog.accept(answer));
}

const sagaStatus = async (id: string) => (await api("GET", `/ops/api/sagas/${id}`, { token: operator.accessToken })).body?.status;

beforeAll(async () => {
  broker = new ServiceBroker({ ...config, nodeID: `dashboard-test-${process.pid}`, logger: false });
  await broker.start();
  await broker.waitForServices(["account", "orchestrator", "ops", "payment"]);
  operator = await registerOperator();
  customer = await registerCustomer();
  browser = await openBrowser();
  page = browser.page;
  await signIn(operator);
  await page.waitForSelector("#dashboard:not([hidden])", { timeout: PAGE_BUDGET_MS });
});

afterAll(async () => {
  await browser?.close();
  await broker?.stop();
  // The services frozen and thawed above have rejoined before the next suite starts.
  await waitForHealthySystem();
});

test("a purchase made over the API appears in the list, and its timeline ends COMPLETED without a reload", async () => {
  await page.waitForSelector("#live:not([hidden])", { timeout: PAGE_BUDGET_MS });
  const productId = await catalogProduct(customer.accessToken, 500, 10);
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);

  const row = page.locator(`#saga-rows tr[data-saga-id="${id}"]`);
  await row.waitFor({ timeout: PAGE_BUDGET_MS });
  await row.click();
  await page.waitForSelector('#timeline[data-status="COMPLETED"]', { timeout: PAGE_BUDGET_MS });

  const kinds = await page.locator("#timeline-entries li").evaluateAll((items) => items.map((li) => li.getAttribute("data-kind")));
  expect(kinds[0]).toBe("saga_started");
  expect(kinds[kinds.length - 1]).toBe("saga_completed");
  const steps = await page.locator("#timeline-entries li .step").allTextContents();
  expect(steps).toEqual(expect.arrayContaining(["reserve-inventory", "create-order", "take-payment", "approve-order"]));
  expect(await page.locator("#timeline-entries li .duration").first().textContent()).toMatch(/^took \d+ ms$/);

  await page.click("#show-order");
  await page.locator("#related", { hasText: `"purchase_id": "${id}"` }).waitFor({ timeout: PAGE_BUDGET_MS });
  expect(await page.locator("#spark-completed polyline").getAttribute("points")).toMatch(/^[\d.]+,[\d.]+( [\d.]+,[\d.]+)*$/);
  await page.locator('#counts [data-state="COMPLETED"] .count').waitFor();
  expect(Number(await page.locator('#counts [data-state="COMPLETED"] .count').textContent())).toBeGreaterThan(0);
});

test("a saga parked on purpose (its participant frozen) is retried from the page, by the signed-in operator, and completes", async () => {
  const productId = await catalogProduct(customer.accessToken, 700, 10);
  // Payment frozen: the saga waits at the pivot. Then order frozen and payment thawed: the payment goes through and
  // the approval, past the pivot, can only wait; once its budget is spent the saga parks.
  let thawPayment: (() => void) | undefined = freezeProcess("payment");
  let thawOrder: (() => void) | undefined;
  let id: string;
  try {
    id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
    await waitUntil(
      "the saga to wait at the payment",
      async () => {
        const saga = (await api("GET", `/ops/api/sagas/${id}`, { token: operator.accessToken })).body;
        return saga?.stepName === "take-payment";
      },
      PAGE_BUDGET_MS,
      200,
    );
    thawOrder = freezeProcess("order");
    thawPayment();
    thawPayment = undefined;
    await waitUntil("the saga to park", async () => (await sagaStatus(id)) === "NEEDS_ATTENTION", PARK_BUDGET_MS, 500);

    await page.fill("#saga-filter input[name=id]", id);
    await page.click("#saga-filter button[type=submit]");
    await page.locator(`#saga-rows tr[data-saga-id="${id}"]`).click();
    await page.waitForSelector('#timeline[data-status="NEEDS_ATTENTION"] #retry:not([hidden])', { timeout: PAGE_BUDGET_MS });
    acceptNextDialog();
    await page.click("#retry");
    await page.locator("#notice", { hasText: `Saga ${id} retried: RUNNING at approve-order (attempt 4).` }).waitFor({ timeout: PAGE_BUDGET_MS });
  } finally {
    thawPayment?.();
    thawOrder?.();
  }

  await page.waitForSelector('#timeline[data-status="COMPLETED"]', { timeout: PARK_BUDGET_MS });
  const retry = page.locator('#timeline-entries li[data-kind="operator_retry"] .detail');
  expect(await retry.textContent()).toBe(`by ${operator.customerId}`);
  const kinds = await page.locator("#timeline-entries li").evaluateAll((items) => items.map((li) => li.getAttribute("data-kind")));
  expect(kinds).toEqual(expect.arrayContaining(["deadline_passed", "saga_parked", "operator_retry", "saga_completed"]));
  // The README's picture of a timeline is this one (OPS_SCREENSHOT=docs/ops-timeline.png).
  if (process.env.OPS_SCREENSHOT) await page.locator("#timeline").screenshot({ path: process.env.OPS_SCREENSHOT });
});

test("a dead letter is listed with its reason and requeued from the page, which marks who did it", async () => {
  const letter = await stageDeadLetter();
  await page.locator(`#dead-letter-counts button[data-topic="${letter.topic}"]`).click();
  const row = page.locator(`#dead-letter-rows tr[data-message-id="${letter.id}"]`);
  await row.waitFor({ timeout: PAGE_BUDGET_MS });
  expect(await row.textContent()).toContain(letter.reason);

  acceptNextDialog();
  await row.locator("button", { hasText: "Requeue" }).click();
  await page.waitForSelector(`#dead-letter-rows tr[data-message-id="${letter.id}"][data-requeued="true"]`, { timeout: PAGE_BUDGET_MS });
  expect(await page.locator(`#dead-letter-rows tr[data-message-id="${letter.id}"]`).textContent()).toContain(`by ${operator.customerId}`);
  // Applied: the payment service opened the customer's wallet.
  await waitUntil("the requeued message to be applied", () => broker.call("payment.customerWallet", { customerId: letter.customerId }), PAGE_BUDGET_MS);
});

test("the replay form refuses a range that runs backwards, and follows a replay to its end", async () => {
  const local = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  const now = new Date();
  await page.selectOption("#replay-form select[name=database]", "account");
  await page.fill("#replay-form input[name=from]", local(now));
  await page.fill("#replay-form input[name=to]", local(new Date(now.getTime() - 3_600_000)));
  await page.click("#replay-form button[type=submit]");
  expect(await page.locator("#replay-error").textContent()).toBe("A replay runs forward: From must come before To.");

  await page.fill("#replay-form input[name=from]", local(new Date(now.getTime() - 600_000)));
  await page.fill("#replay-form input[name=to]", local(new Date(now.getTime() + 60_000)));
  await page.click("#replay-form button[type=submit]");
  await page.waitForSelector('#replay-rows tr[data-done="true"]', { timeout: PAGE_BUDGET_MS });
  expect(await page.locator("#replay-rows tr").first().textContent()).toMatch(/account.*chunks, done/);
});

test("a customer's token gets 403 on /ops/, in the one error shape, and the page says so", async () => {
  for (const path of ["/ops/", "/ops/api/overview", "/ops/api/sagas"]) {
    const res = await api("GET", path, { token: customer.accessToken });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { status: 403, type: "FORBIDDEN", message: "Only operators may use the operations dashboard" } });
  }
  expect(
    (
      await api("POST", "/ops/api/outbox/replays", {
        token: customer.accessToken,
        body: { database: "account", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" },
      })
    ).status,
  ).toBe(403);
  expect((await api("GET", "/ops/api/overview")).status).toBe(401);

  const other = await openBrowser();
  try {
    const customerPage = other.page;
    await customerPage.goto(`${baseUrl()}/ops/`);
    await customerPage.fill("#login-form input[name=email]", customer.email);
    await customerPage.fill("#login-form input[name=password]", customer.password);
    await customerPage.click("#login-form button[type=submit]");
    await customerPage.waitForSelector("#notice.error:not([hidden])", { timeout: PAGE_BUDGET_MS });
    expect(await customerPage.locator("#notice").textContent()).toBe("403 FORBIDDEN: Only operators may use the operations dashboard");
    expect(await customerPage.locator("#dashboard").isHidden()).toBe(true);
  } finally {
    await other.close();
  }
});
