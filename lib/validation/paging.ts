/** Paged lists (the catalog, a customer's history): one rule for `page` and `page_size`, and one answer shape. */
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

export interface Page<T> extends Paging {
  items: T[];
  /** Every row the list's filter matches, on all pages. */
  total: number;
}

export function pageOf<T>(items: T[], { page, page_size }: Paging, total: number): Page<T> {
  return { items, page, page_size, total };
}
