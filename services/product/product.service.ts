/**
 * The catalog (categories, products) and inventory. Reads go through a
 * Redis Cluster cache guarded by a cuckoo filter and a fill lock; writes go
 * to Postgres with their events in the outbox, and invalidate after commit.
 * It is also the purchase saga's first participant (reserve / release stock).
 */
import { Cluster } from "ioredis";
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { PRODUCT_EVENTS_TOPIC, PRODUCT_NOT_FOUND, type ProductCreated, type ProductPrice, type ProductPricesParams } from "../../contracts/product";
import { PRODUCT_COMMANDS_TOPIC, PURCHASE_SAGA_MESSAGES as M, type ReleaseInventory, type ReserveInventory } from "../../contracts/purchase-saga";
import type { AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { CuckooRebuildConflictError } from "../../lib/cache/cuckoo-filter";
import { redisNodes } from "../../lib/environment";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { commandPayloads, sagaCommandHandler } from "../../lib/saga/participant";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { idempotentChannel } from "../../mixins/idempotent-channel";
import {
  type CreateCategoryBody,
  type CreateProductBody,
  type ListProductsQuery,
  type UpdateProductBody,
  createCategorySchema,
  createProductSchema,
  listProductsSchema,
  productIdSchema,
  productPricesSchema,
  updateProductSchema,
} from "./catalog-validation";
import { lockStockOf, releaseInventory, reserveInventory } from "./inventory-reservations";
import { ProductReadCache } from "./product-read-cache";
import { readProductSettings } from "./product-settings";

const { MoleculerClientError } = Errors;
const settings = readProductSettings();
const FOREIGN_KEY_VIOLATION = "23503";
const UNIQUE_VIOLATION = "23505";

interface ProductThis extends Service, DatabaseThis {
  redis: Cluster;
  cache: ProductReadCache;
  outbox: OutboxWriter;
  loadProduct(id: number): Promise<ProductView | null>;
  assertCatalogWriter(ctx: Context<unknown, AuthenticatedMeta>): void;
  rebuildFilterFromDatabase(): Promise<number>;
}

/** A product as the API shows it: what was created, plus its id and times. */
interface ProductView extends CreateProductBody {
  id: number;
  created_at: string;
  updated_at: string;
}

const PRODUCT_COLUMNS = ["id", "category_id", "name", "description", "brand_name", "price", "inventory", "created_at", "updated_at"];

function productView(row: Record<string, unknown>): ProductView {
  return { ...(row as unknown as ProductView), id: Number(row.id), category_id: Number(row.category_id), price: Number(row.price) };
}

const categoryView = (row: Record<string, unknown>) => ({ id: Number(row.id), name: row.name, description: row.description, created_at: row.created_at });

const notFound = () => new MoleculerClientError("Product not found", 404, PRODUCT_NOT_FOUND);

/** Postgres constraint violations that mean "bad input", as the client should see them. */
function clientErrorFor(error: unknown): Error {
  const pg = error as { code?: string; constraint?: string };
  if (pg.code === FOREIGN_KEY_VIOLATION) {
    return new MoleculerClientError("Parameters validation error!", 422, "VALIDATION_ERROR", [
      { field: "category_id", message: "The category does not exist." },
    ]);
  }
  if (pg.code === UNIQUE_VIOLATION) return new MoleculerClientError("A category with this name already exists", 409, "CATEGORY_EXISTS");
  return error as Error;
}

const reserveInventoryPayload = {
  purchaseId: "uuid",
  items: {
    type: "array",
    min: 1,
    max: 100,
    items: {
      type: "object",
      props: { productId: { type: "number", integer: true, positive: true }, quantity: { type: "number", integer: true, positive: true, max: 1_000_000 } },
    },
  },
} as const;

const ProductService: ServiceSchema<ServiceSettingSchema, ProductThis> = {
  name: "product",
  mixins: [DatabaseMixin("product")],

  actions: {
    get: {
      params: productIdSchema,
      async handler(this: ProductThis, ctx: Context<{ id: number }>) {
        const product = await this.cache.getDetail(ctx.params.id, () => this.loadProduct(ctx.params.id));
        if (!product) throw notFound();
        return product;
      },
    },

    /**
     * For the purchase door: every price of an order in one call and one
     * query. Not through the detail cache: a sale invalidates that entry at
     * every reservation (the stock changed), while prices seldom change.
     */
    prices: {
      visibility: "public",
      params: productPricesSchema,
      async handler(this: ProductThis, ctx: Context<ProductPricesParams>): Promise<ProductPrice[]> {
        const rows: { id: string; price: string }[] = await this.db("products").whereIn("id", ctx.params.ids).select("id", "price");
        return rows.map((row) => ({ id: Number(row.id), price: Number(row.price) }));
      },
    },

    list: {
      params: listProductsSchema,
      async handler(this: ProductThis, ctx: Context<ListProductsQuery>) {
        const { category_id, page, page_size } = ctx.params;
        return this.cache.getList(`products:${category_id ?? "all"}:${page}:${page_size}`, async () => {
          const scope = () => (category_id ? this.db("products").where({ category_id }) : this.db("products"));
          const [rows, [{ count }]] = await Promise.all([
            scope()
              .orderBy("id")
              .limit(page_size)
              .offset((page - 1) * page_size)
              .select(PRODUCT_COLUMNS),
            scope().count<{ count: string }[]>("* as count"),
          ]);
          return { items: rows.map(productView), page, page_size, total: Number(count) };
        });
      },
    },

    listCategories: {
      async handler(this: ProductThis) {
        return this.cache.getList("categories", async () => ({
          items: (await this.db("categories").orderBy("id").select("id", "name", "description", "created_at")).map(categoryView),
        }));
      },
    },

    create: {
      params: createProductSchema,
      async handler(this: ProductThis, ctx: Context<CreateProductBody, AuthenticatedMeta & { $statusCode?: number; $location?: string }>) {
        this.assertCatalogWriter(ctx);
        const product = await this.db
          .transaction(async (trx) => {
            const [row] = await trx("products").insert(ctx.params).returning(PRODUCT_COLUMNS);
            const view = productView(row);
            const event: ProductCreated = { productId: view.id, categoryId: view.category_id, name: view.name, price: view.price, inventory: view.inventory };
            await this.outbox.append(trx, { topic: PRODUCT_EVENTS_TOPIC, key: String(view.id), type: "ProductCreated", payload: event });
            return view;
          })
          .catch((error) => {
            throw clientErrorFor(error);
          });
        await this.cache
          .addToFilter(product.id)
          .catch((error: Error) => this.logger.warn(`filter add deferred to the ProductCreated consumer: ${error.message}`));
        await this.cache.invalidate([product.id]);
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = `/api/v1/products/${product.id}`;
        return product;
      },
    },

    update: {
      params: updateProductSchema,
      async handler(this: ProductThis, ctx: Context<UpdateProductBody, AuthenticatedMeta>) {
        this.assertCatalogWriter(ctx);
        const { id, ...changes } = ctx.params;
        const product = await this.db
          .transaction(async (trx) => {
            const [row] = await trx("products")
              .where({ id })
              .update({ ...changes, updated_at: trx.fn.now() })
              .returning(PRODUCT_COLUMNS);
            if (!row) return null;
            await this.outbox.append(trx, { topic: PRODUCT_EVENTS_TOPIC, key: String(id), type: "ProductUpdated", payload: { productId: id, changes } });
            return productView(row);
          })
          .catch((error) => {
            throw clientErrorFor(error);
          });
        if (!product) throw notFound();
        await this.cache.invalidate([id]);
        return product;
      },
    },

    createCategory: {
      params: createCategorySchema,
      async handler(this: ProductThis, ctx: Context<CreateCategoryBody, AuthenticatedMeta & { $statusCode?: number; $location?: string }>) {
        this.assertCatalogWriter(ctx);
        const category = await this.db
          .transaction(async (trx) => {
            const [row] = await trx("categories").insert(ctx.params).returning(["id", "name", "description", "created_at"]);
            await this.outbox.append(trx, {
              topic: PRODUCT_EVENTS_TOPIC,
              key: `category-${row.id}`,
              type: "CategoryCreated",
              payload: { categoryId: Number(row.id), name: row.name },
            });
            return categoryView(row);
          })
          .catch((error) => {
            throw clientErrorFor(error);
          });
        await this.cache.invalidate([]);
        ctx.meta.$statusCode = 201;
        ctx.meta.$location = `/api/v1/products?category_id=${category.id}`;
        return category;
      },
    },

    /** Operators: rebuild the cuckoo filter from the database. */
    rebuildFilter: {
      visibility: "public",
      async handler(this: ProductThis) {
        return { inserted: await this.rebuildFilterFromDatabase(), stats: await this.cache.filterStats() };
      },
    },

    filterStats: {
      visibility: "public",
      handler(this: ProductThis) {
        return this.cache.filterStats();
      },
    },
  },

  channels: {
    [PRODUCT_COMMANDS_TOPIC]: idempotentChannel<ProductThis>({
      topic: PRODUCT_COMMANDS_TOPIC,
      consumer: "product",
      db: (service) => service.db,
      lockShared: (trx, commands) =>
        lockStockOf(
          trx,
          commandPayloads<ReserveInventory>(commands, M.ReserveInventory).map((reservation) => reservation.items),
          commandPayloads<ReleaseInventory>(commands, M.ReleaseInventory).map((release) => release.purchaseId),
        ),
      handlers: {
        [M.ReserveInventory]: sagaCommandHandler<ReserveInventory, ProductThis>(M.ReserveInventory, reserveInventoryPayload, async function (trx, command) {
          const { purchaseId, items } = command.payload;
          const outcome = await reserveInventory(trx, purchaseId, items);
          return outcome.reserved
            ? { type: M.InventoryReserved, payload: { purchaseId }, afterCommit: () => this.cache.invalidate(outcome.productIds) }
            : { type: M.InventoryRejected, payload: { purchaseId, reason: outcome.reason } };
        }),
        [M.ReleaseInventory]: sagaCommandHandler<ReleaseInventory, ProductThis>(M.ReleaseInventory, { purchaseId: "uuid" }, async function (trx, command) {
          const { purchaseId } = command.payload;
          const released = await releaseInventory(trx, purchaseId);
          return { type: M.InventoryReleased, payload: { purchaseId }, afterCommit: () => this.cache.invalidate(released) };
        }),
      },
    }),

    // Our own ProductCreated events: the guarantee that every committed product reaches the filter.
    [PRODUCT_EVENTS_TOPIC]: idempotentChannel<ProductThis>({
      topic: PRODUCT_EVENTS_TOPIC,
      consumer: "product-filter",
      db: (service) => service.db,
      handlers: {
        ProductCreated: {
          schema: { productId: { type: "number", integer: true, positive: true } },
          async handle(_trx, message) {
            await this.cache.addToFilter((message.payload as ProductCreated).productId);
          },
        },
      },
    }),
  },

  methods: {
    async loadProduct(this: ProductThis, id: number) {
      const row = await this.db("products").where({ id }).first(PRODUCT_COLUMNS);
      return row ? productView(row) : null;
    },

    /** Who may write the catalog: see catalogWriterRole. */
    assertCatalogWriter(ctx: Context<unknown, AuthenticatedMeta>) {
      const required = settings.catalogWriterRole;
      if (!ctx.meta.user) throw new MoleculerClientError("Authentication required", 401, "NO_TOKEN");
      if (required && ctx.meta.user.role !== required) throw new MoleculerClientError("Not allowed to change the catalog", 403, "FORBIDDEN");
    },

    async rebuildFilterFromDatabase(this: ProductThis) {
      const db = this.db;
      async function* pages() {
        let after = 0;
        for (;;) {
          const ids: string[] = await db("products").where("id", ">", after).orderBy("id").limit(5_000).pluck("id");
          if (ids.length === 0) return;
          yield ids.map(String);
          after = Number(ids[ids.length - 1]);
        }
      }
      return this.cache.rebuildFilter(pages());
    },
  },

  created(this: ProductThis) {
    this.outbox = new OutboxWriter();
    // Short command timeouts: a slow or failing Redis must fall back to Postgres, not stall reads.
    this.redis = new Cluster(redisNodes(), { redisOptions: { commandTimeout: 500 }, enableOfflineQueue: true, retryDelayOnFailover: 100 });
    this.cache = new ProductReadCache(this.redis, this.logger, settings.cache);
  },

  async started(this: ProductThis) {
    const stats = await this.cache.filterStats().catch(() => undefined);
    if (stats && !stats.ready) {
      try {
        this.logger.info(`cuckoo filter built with ${await this.rebuildFilterFromDatabase()} product ids`);
      } catch (error) {
        if (!(error instanceof CuckooRebuildConflictError)) throw error;
      }
    }
  },

  async stopped(this: ProductThis) {
    await this.redis.quit().catch(() => undefined);
  },
};

export = ProductService;
