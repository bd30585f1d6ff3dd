import Validator from "fastest-validator";
import { customerHistorySchema } from "../../../lib/history/customer-history";
import { listProductsSchema } from "../../../services/product/catalog-validation";

// As moleculer.config.ts configures the broker's validator.
const validator = new Validator({ useNewCustomCheckerFunction: true });
const check = validator.compile(customerHistorySchema(["COMPLETED", "FAILED"]));

/** The params as the action receives them, or the fields refused. */
function validated(params: Record<string, unknown>): { params: Record<string, unknown> } | { refused: string[] } {
  const copy = { ...params };
  const result = check(copy);
  if (result instanceof Promise) throw new Error("the schema is expected to be synchronous");
  return result === true ? { params: copy } : { refused: result.map((error) => error.field ?? "") };
}

describe("customerHistorySchema", () => {
  it("pages 1 of 20 by default, and drops what it does not know", () => {
    expect(validated({ customer_id: "someone-else" })).toEqual({ params: { page: 1, page_size: 20 } });
  });

  it("reads page and page_size from their decimal spelling only, as the catalog does", () => {
    expect(validated({ page: "2", page_size: "100" })).toEqual({ params: { page: 2, page_size: 100 } });
    for (const page of ["0", "02", "0x2", "1e1", " 2", "-1", "100001"]) expect(validated({ page })).toEqual({ refused: ["page"] });
    for (const page_size of ["0", "101", "1.5"]) expect(validated({ page_size })).toEqual({ refused: ["page_size"] });
  });

  it("shares the catalog's paging rule and bounds", () => {
    expect(customerHistorySchema([]).page).toBe(listProductsSchema.page);
    expect(customerHistorySchema([]).page_size).toBe(listProductsSchema.page_size);
  });

  it("takes only the statuses it was given", () => {
    expect(validated({ status: "FAILED" })).toEqual({ params: { page: 1, page_size: 20, status: "FAILED" } });
    expect(validated({ status: "failed" })).toEqual({ refused: ["status"] });
    expect(validated({ status: "PENDING" })).toEqual({ refused: ["status"] });
  });

  it("reads ISO-8601 times with their offset as instants", () => {
    expect(validated({ created_since: "2026-12-01T10:00:00Z", created_before: "2026-12-01T17:30:00.250+07:00" })).toEqual({
      params: { page: 1, page_size: 20, created_since: new Date("2026-12-01T10:00:00Z"), created_before: new Date("2026-12-01T10:30:00.250Z") },
    });
  });

  it("takes a Date as it is, as a caller in the same process may pass on what the check made", () => {
    const since = new Date("2026-12-01T10:00:00Z");
    expect(validated({ created_since: since })).toEqual({ params: { page: 1, page_size: 20, created_since: since } });
    expect(validated({ created_since: new Date(NaN) })).toEqual({ refused: ["created_since"] });
  });

  it.each(["1", "2026-12-01", "2026-12-01T10:00:00", "2026-02-30T00:00:00Z", "2026-12-01T25:00:00Z", "yesterday", ""])("refuses %j as a time", (time) => {
    expect(validated({ created_since: time })).toEqual({ refused: ["created_since"] });
    expect(validated({ created_before: time })).toEqual({ refused: ["created_before"] });
  });
});
