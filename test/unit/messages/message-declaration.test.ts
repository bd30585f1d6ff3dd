/**
 * A declaration's payload type is read off its schema: the compiler checks
 * the type assertions below (`npm test` type-checks the tests), jest the rest.
 */
import Validator from "fastest-validator";
import { declareMessage, messageOf, publication, type PayloadOf } from "../../../lib/messages/message-declaration";

/** True only when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const Shipped = declareMessage("Shipped", "shipping.events", {
  orderId: "uuid",
  parcels: "number|integer|min:1",
  carrier: { type: "enum", values: ["post", "courier"] },
  express: { type: "boolean", optional: true },
  note: { type: "string", nullable: true },
  lines: { type: "array", items: { type: "object", props: { sku: "string|min:1", quantity: { type: "number", integer: true } } } },
  kind: { type: "equal", value: "parcel", strict: true },
  extra: { type: "record", value: { type: "any" } },
});

describe("a message declaration", () => {
  it("derives its payload type from its schema", () => {
    const derived: Same<
      PayloadOf<typeof Shipped>,
      {
        orderId: string;
        parcels: number;
        carrier: "post" | "courier";
        express?: boolean;
        note: string | null;
        lines: { sku: string; quantity: number }[];
        kind: "parcel";
        extra: Record<string, unknown>;
      }
    > = true;
    expect(derived).toBe(true);
  });

  it("checks, once compiled, what its type says", () => {
    const check = new Validator().compile({ $$root: false, ...Shipped.schema });
    const payload: PayloadOf<typeof Shipped> = {
      orderId: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
      parcels: 2,
      carrier: "post",
      note: null,
      lines: [{ sku: "A-1", quantity: 3 }],
      kind: "parcel",
      extra: { any: ["thing"] },
    };
    expect(check(payload)).toBe(true);
    expect(check({ ...payload, carrier: "pigeon" })).not.toBe(true);
    expect(check({ ...payload, lines: [{ sku: "", quantity: 1 }] })).not.toBe(true);
  });

  it("makes the message and its outbox row with its own name and topic", () => {
    const payload = { orderId: "x", parcels: 1, carrier: "courier", note: null, lines: [], kind: "parcel", extra: {} } as const satisfies PayloadOf<
      typeof Shipped
    >;
    expect(messageOf(Shipped, { ...payload, lines: [] })).toEqual({ type: "Shipped", payload: { ...payload, lines: [] } });
    expect(publication(Shipped, "order-1", { ...payload, lines: [] })).toMatchObject({ topic: "shipping.events", key: "order-1", type: "Shipped" });
    expect(publication(Shipped, "order-1", { ...payload, lines: [] }, "itest.shipping")).toMatchObject({ topic: "itest.shipping" });
  });
});
