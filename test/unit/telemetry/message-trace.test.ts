import { handleInMessageTrace } from "../../../lib/telemetry/message-trace";
import { traceparentOf } from "../../../lib/telemetry/trace-context";
import { OutboxWriter } from "../../../lib/outbox/outbox-writer";
import type { InboundMessage } from "../../../lib/inbox/idempotent-consumer";
import { recordSpans } from "./tracing-harness";

const recorded = recordSpans();
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";

const message = (traceparent?: string): InboundMessage => ({
  id: "0b7a4c8c-40db-4e1f-8a2b-3c4d5e6f7a8b",
  type: "ReserveInventory",
  key: "saga-1",
  topic: "product.commands",
  payload: {},
  traceparent,
});

beforeEach(() => recorded.reset());

describe("handleInMessageTrace", () => {
  it("runs the handler in a span that continues the message's trace, so what it writes to the outbox carries that span", async () => {
    let written: string | null = null;
    await handleInMessageTrace(message(`00-${TRACE_ID}-${PARENT_SPAN}-01`), async () => {
      [{ traceparent: written }] = new OutboxWriter().rows([{ topic: "saga.replies", key: "saga-1", type: "InventoryReserved", payload: {} }]);
    });
    const [span] = recorded.spans();
    expect(span.name).toBe("product.commands process ReserveInventory");
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(written).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
  });

  it("runs the after-commit step in the same span's context, after the span has ended", async () => {
    let seen: string | undefined;
    const afterCommit = await handleInMessageTrace(message(`00-${TRACE_ID}-${PARENT_SPAN}-01`), async () => () => {
      seen = traceparentOf();
    });
    expect(recorded.spans()).toHaveLength(1);
    await afterCommit?.();
    expect(seen).toBe(`00-${TRACE_ID}-${recorded.spans()[0].spanContext().spanId}-01`);
  });

  it("starts a trace of its own for a message without one, and records a failure on the span", async () => {
    await expect(
      handleInMessageTrace(message(), async () => {
        throw new Error("stock row locked");
      }),
    ).rejects.toThrow("stock row locked");
    const [span] = recorded.spans();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.status).toMatchObject({ code: 2, message: "stock row locked" });
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
  });

  it("leaves an unsampled trace unsampled: nothing is recorded, and the outbox row still carries the trace", async () => {
    let written: string | null = null;
    await handleInMessageTrace(message(`00-${TRACE_ID}-${PARENT_SPAN}-00`), async () => {
      [{ traceparent: written }] = new OutboxWriter().rows([{ topic: "saga.replies", key: "saga-1", type: "InventoryReserved", payload: {} }]);
    });
    expect(recorded.spans()).toEqual([]);
    expect(written).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });
});
