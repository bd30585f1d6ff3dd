/** Paged lists (the catalog, a customer's history): one rule for `page` and `page_size`, and one answer shape. */
import type { Infer, MessageSchema } from "../messages/message-declaration";
import { decimalInteger } from "./decimal-integer";

export const MAX_PAGE_SIZE = 100;

/** The paging fields of a list action's params: page 1 of 20 unless asked otherwise. */
export const pagingSchema = {
  page: { ...decimalInteger(1, 100_000), optional: true, default: 1 },
  page_size: { ...decimalInteger(1, MAX_PAGE_SIZE), optional: true, default: 20 },
} as const;

export interface Paging {
  page: number;
  page_size: number;
}

/** The answer of a list: one page of `item`s, and how many the list's filter matches on all pages. */
export function listPageSchema<const Item extends MessageSchema>(item: Item) {
  return {
    items: { type: "array", items: { type: "object", props: item } },
    page: { type: "number", integer: true, min: 1 },
    page_size: { type: "number", integer: true, min: 1 },
    total: { type: "number", integer: true, min: 0 },
  } as const;
}

/** A list's answer, as its schema says, holding views of type T. */
export type Page<T> = Omit<Infer<ReturnType<typeof listPageSchema<MessageSchema>>>, "items"> & { items: T[] };

export function pageOf<T>(items: T[], { page, page_size }: Paging, total: number): Page<T> {
  return { items, page, page_size, total };
}
