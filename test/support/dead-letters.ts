/**
 * A dead letter whose cause is gone, as an operator would find one: a
 * CustomerRegistered on account.events that the payment service gave up on.
 * Requeued, it opens the customer's wallet, which is what shows it was applied.
 */
import { randomUUID } from "node:crypto";

import { DEAD_LETTER_REASON_HEADER, deadLetterTopic } from "../../mixins/idempotent-channel";
import { publishRaw } from "./kafka";
import { ACCOUNT_EVENTS_TOPIC } from "../../contracts/topics";

export interface StagedDeadLetter {
  topic: string;
  /** The message's id (its `id` header). */
  id: string;
  /** The customer whose wallet the message opens. */
  customerId: string;
  reason: string;
}

export async function stageDeadLetter(): Promise<StagedDeadLetter> {
  const id = randomUUID();
  const customerId = randomUUID();
  const reason = `handler failed 5 times: wallet store unreachable (${id.slice(0, 8)})`;
  const payload = { customerId, email: `${customerId}@example.com`, firstName: "Dead", lastName: "Letter", registeredAt: new Date().toISOString() };
  await publishRaw(deadLetterTopic(ACCOUNT_EVENTS_TOPIC), [
    {
      key: customerId,
      value: JSON.stringify(payload),
      headers: { id, type: "CustomerRegistered", [DEAD_LETTER_REASON_HEADER]: reason, "x-original-channel": ACCOUNT_EVENTS_TOPIC },
    },
  ]);
  return { topic: ACCOUNT_EVENTS_TOPIC, id, customerId, reason };
}
