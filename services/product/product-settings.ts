/** The product service's settings, from the environment; a bad value stops it at startup. */
import { fractionSetting, integerSetting, type Environment } from "../../lib/settings/settings";
import { catalogWriterRole } from "./catalog-validation";
import type { ProductReadCacheOptions } from "./product-read-cache";

export interface ProductSettings {
  cache: ProductReadCacheOptions;
  /** The role that may write the catalog, or null for any signed-in account (see catalogWriterRole). */
  catalogWriterRole: string | null;
}

export function readProductSettings(env: Environment = process.env): ProductSettings {
  return {
    cache: {
      detailTtlMs: integerSetting(env, "PRODUCT_CACHE_TTL_MS", 300_000, 1_000),
      listTtlMs: integerSetting(env, "PRODUCT_LIST_CACHE_TTL_MS", 60_000, 1_000),
      filterCapacity: integerSetting(env, "PRODUCT_FILTER_CAPACITY", 1_000_000, 1_000),
      filterFalsePositiveRate: fractionSetting(env, "PRODUCT_FILTER_FALSE_POSITIVE_RATE", 0.01, 0, 0.5),
    },
    catalogWriterRole: catalogWriterRole(env),
  };
}
