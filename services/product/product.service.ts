/**
 * The catalog (categories, products) and inventory. Reads go through a
 * Redis Cluster cache guarded by a cuckoo filter and a fill lock; writes go
 * to Postgres with their events in the outbox, and invalidate after commit.
 * It is also the purchase saga's first participant (reserve / release stock).
 */
import { Cluster } from "ioredis";
import type { Knex } from "knex";
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { CategoryCreated, PRODUCT_NOT_FOUND, ProductCreated, ProductUpdated, type ProductPrice, type ProductPricesParams } from "../../contracts/product";
import { PRODUCT_COMMANDS_TOPIC, PRODUCT_EVENTS_TOPIC, consumerOf } from "../../contracts/topics";
import { publication } from "../../lib/messages/message-declaration";
import { callerOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { CuckooRebuildConflictError } from "../../lib/cache/cuckoo-filter";
import { violatedConstraint } from "../../lib/errors/sql-state";
import { SHOP_METRICS, registerShopMetrics } from "../../lib/metrics/shop-metrics";
import { redisClusterOptions, redisNodes } from "../../lib/environment";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
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
import { lockStockOfBatch, productCommandHandlers } from "./product-commands";
import { ProductReadCache } from "./product-read-cache";
import { readProductSettings, type ProductSettings } from "./product-settings";
import { findProduct, insertCategory, insertProduct, listCategories, listProducts, productIdPages, productPrices, updateProduct } from "./product-store";
import { categoryView, categoryViewSchema, productView, productViewSchema, type ProductView } from "./product-view";
import { documentedError, type RestDescription } from "../../lib/http/rest-description";
import { listPageSchema } from "../../lib/validation/paging";

const { MoleculerClientError } = Errors;

interface ProductThis extends Service, DatabaseThis {
  redis: Cluster;
  cache: ProductReadCache;
  outbox: OutboxWriter;
  loadProduct(id: number): Promise<ProductView | null>;
  writeCatalog<T>(ctx: Context<unknown, AuthenticatedMeta>, write: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  rebuildFilterFromDatabase(): Promise<number>;
}

const notFound = () => new MoleculerClientError("Product not found", 404, PRODUCT_NOT_FOUND);
const notAllowed = () => new MoleculerClientError("Not allowed to change the catalog", 403, "FORBIDDEN");
const categoryExists = () => new MoleculerClientError("A category with this name already exists", 409, "CATEGORY_EXISTS");

/**
 * The catalog's constraints that mean "bad input", as the client should see
 * them; any other refusal goes on to the DatabaseErrors middleware.
 */
function clientErrorFor(error: unknown): Error {
  switch (violatedConstraint(error)) {
    case "products_category_id_foreign":
      return new MoleculerClientError("Parameters validation error!", 422, "VALIDATION_ERROR", [
        { field: "category_id", message: "The category does not exist." },
      ]);
    case "categories_name_unique":
      return categoryExists();
    default:
      return error as Error;
  }
}

/** One product service per call; a test passes its own settings. */
export function createProductService(settings: ProductSettings = readProductSettings()): ServiceSchema<ServiceSettingSchema, ProductThis> {
  return {
    name: "product",
    mixins: [DatabaseMixin("product"), OutboxPlumbingMixin("product")],

    actions: {
      get: {
        params: productIdSchema,
        openapi: { summary: "A product", answer: { schema: productViewSchema }, errors: [documentedError(notFound())] } satisfies RestDescription,
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
          return productPrices(this.db, ctx.params.ids);
        },
      },

      list: {
        params: listProductsSchema,
        openapi: { summary: "A page of products, of one category or all", answer: { schema: listPageSchema(productViewSchema) } } satisfies RestDescription,
        async handler(this: ProductThis, ctx: Context<ListProductsQuery>) {
          const { category_id, page, page_size } = ctx.params;
          return this.cache.getList(`products:${category_id ?? "all"}:${page}:${page_size}`, async () => {
            const { rows, total } = await listProducts(this.db, ctx.params);
            return { items: rows.map(productView), page, page_size, total };
          });
        },
      },

      listCategories: {
        openapi: {
          summary: "Every category",
          answer: { schema: { items: { type: "array", items: { type: "object", props: categoryViewSchema } } } },
        } satisfies RestDescription,
        async handler(this: ProductThis) {
          return this.cache.getList("categories", async () => ({
            items: (await listCategories(this.db)).map(categoryView),
          }));
        },
      },

      create: {
        params: createProductSchema,
        openapi: {
          summary: "Adds a product to the catalog",
          answer: { status: 201, schema: productViewSchema },
          errors: [documentedError(notAllowed())],
        } satisfies RestDescription,
        async handler(this: ProductThis, ctx: Context<CreateProductBody, AuthenticatedMeta & { $statusCode?: number; $location?: string }>) {
          const product = await this.writeCatalog(ctx, async (trx) => {
            const view = productView(await insertProduct(trx, ctx.params));
            const event = { productId: view.id, categoryId: view.category_id, name: view.name, price: view.price, inventory: view.inventory };
            await this.outbox.append(trx, publication(ProductCreated, String(view.id), event));
            return view;
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
        openapi: {
          summary: "Changes a product: the fields given",
          answer: { schema: productViewSchema },
          errors: [documentedError(notFound()), documentedError(notAllowed())],
        } satisfies RestDescription,
        async handler(this: ProductThis, ctx: Context<UpdateProductBody, AuthenticatedMeta>) {
          const { id, ...changes } = ctx.params;
          const product = await this.writeCatalog(ctx, async (trx) => {
            const row = await updateProduct(trx, id, changes);
            if (!row) return null;
            await this.outbox.append(trx, publication(ProductUpdated, String(id), { productId: id, changes }));
            return productView(row);
          });
          if (!product) throw notFound();
          await this.cache.invalidate([id]);
          return product;
        },
      },

      createCategory: {
        params: createCategorySchema,
        openapi: {
          summary: "Adds a category (names are unique)",
          answer: { status: 201, schema: categoryViewSchema },
          errors: [documentedError(categoryExists()), documentedError(notAllowed())],
        } satisfies RestDescription,
        async handler(this: ProductThis, ctx: Context<CreateCategoryBody, AuthenticatedMeta & { $statusCode?: number; $location?: string }>) {
          const category = await this.writeCatalog(ctx, async (trx) => {
            const category = categoryView(await insertCategory(trx, ctx.params));
            const event = { categoryId: category.id, name: category.name };
            await this.outbox.append(trx, publication(CategoryCreated, `category-${category.id}`, event));
            return category;
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
        consumer: consumerOf(PRODUCT_COMMANDS_TOPIC, "product"),
        lockShared: lockStockOfBatch,
        handlers: productCommandHandlers,
      }),

      // Our own ProductCreated events: the guarantee that every committed product reaches the filter.
      [PRODUCT_EVENTS_TOPIC]: idempotentChannel<ProductThis>({
        topic: PRODUCT_EVENTS_TOPIC,
        consumer: consumerOf(PRODUCT_EVENTS_TOPIC, "product"),
        handlers: {
          [ProductCreated.name]: {
            schema: ProductCreated.schema,
            async handle(_trx, message: InboundMessage<ProductCreated>) {
              await this.cache.addToFilter(message.payload.productId);
            },
          },
        },
      }),
    },

    methods: {
      async loadProduct(this: ProductThis, id: number) {
        const row = await findProduct(this.db, id);
        return row ? productView(row) : null;
      },

      /**
       * A catalog write: only by the writer role (see catalogWriterRole), in
       * one transaction with its event, constraint violations answered as 4xx.
       */
      async writeCatalog<T>(this: ProductThis, ctx: Context<unknown, AuthenticatedMeta>, write: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
        const required = settings.catalogWriterRole;
        const caller = callerOf(ctx);
        if (required && caller.role !== required) throw notAllowed();
        return this.db.transaction(write).catch((error: unknown) => {
          throw clientErrorFor(error);
        });
      },

      async rebuildFilterFromDatabase(this: ProductThis) {
        return this.cache.rebuildFilter(productIdPages(this.db));
      },
    },

    created(this: ProductThis) {
      this.outbox = new OutboxWriter();
      // Short command timeouts: a slow or failing Redis must fall back to Postgres, not stall reads.
      this.redis = new Cluster(
        redisNodes(),
        redisClusterOptions({ redisOptions: { commandTimeout: 500 }, enableOfflineQueue: true, retryDelayOnFailover: 100 }),
      );
      registerShopMetrics(this.broker.metrics, [SHOP_METRICS.productReads]);
      this.cache = new ProductReadCache(this.redis, this.logger, settings.cache, (outcome) =>
        this.broker.metrics.increment(SHOP_METRICS.productReads.name, { outcome }),
      );
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
}

export default createProductService();
