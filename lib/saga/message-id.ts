import { createHash } from "node:crypto";
import type { SagaCorrelation } from "./messages";

/**
 * Message ids are derived from what the message is (RFC 4122 version 5 UUIDs),
 * not drawn at random: the transition stays pure, and a transition replayed
 * after a rolled-back transaction emits the very same ids, so the outbox key
 * and the participants' inboxes see one message, never two.
 */
const NAMESPACE = Buffer.from("14cc6f5f92e741b2ab2f0b7a4c8c40db", "hex");

export function commandMessageId(correlation: SagaCorrelation): string {
  const { sagaType, sagaId, step, direction, attempt } = correlation;
  return nameBasedUuid(`${sagaType}/${sagaId}/command/${step}/${direction}/${attempt}`);
}

export function resultMessageId(sagaType: string, sagaId: string): string {
  return nameBasedUuid(`${sagaType}/${sagaId}/result`);
}

function nameBasedUuid(name: string): string {
  const bytes = createHash("sha1").update(NAMESPACE).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
