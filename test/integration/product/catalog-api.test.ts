/**
 * The catalog over real HTTP: the seed's requests, validation, the cache and
 * its guards (cuckoo filter against missing ids, fill lock against a
 * stampede), and reads that see every committed write.
 */
import { randomUUID } from "node:crypto";
import { api, registerCustomer } from "../../support/http";
import { productByIdQueries, productDb } from "../../support/product-queries";
import { connectCluster } from "../../support/redis";
import { SEED_CATEGORY, seedIsolate, seedProfessional } from "../../support/seed";
import { waitUntil } from "../../support/wait";

const redis = connectCluster();
let token: string;

async function createCategory(): Promise<number> {
  const res = await api("POST", "/api/v1/categories", { token, body: { name: `cat-${randomUUID()}`, description: "test" } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function createProduct(categoryId: number, overrides: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/products", {
    token,
    body: { category_id: categoryId, name: "Test product", description: "d", brand_name: "b", price: 500, inventory: 10, ...overrides },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const productCount = async () => Number((await productDb("products").count<{ count: string }[]>("* as count"))[0].count);

beforeAll(async () => {
  token = (await registerCustomer()).accessToken;
});

afterAll(async () => {
  await productDb.destroy();
  redis.disconnect();
});

test("the seed's category and product requests work as written, ids taken from the responses", async () => {
  // The seed names its category "whey" and names are unique: free the name if an earlier run took it.
  await productDb("categories")
    .where({ name: "whey" })
    .update({ name: productDb.raw("'whey-' || id") });

  const category = await api("POST", "/api/v1/categories", { token, rawBody: SEED_CATEGORY });
  expect(category.status).toBe(201);
  expect(category.body).toMatchObject({ id: expect.any(Number), name: "whey", description: "whey protein" });

  const first = await api("POST", "/api/v1/products", { token, rawBody: seedIsolate(category.body.id) });
  const second = await api("POST", "/api/v1/products", { token, rawBody: seedProfessional(category.body.id) });
  expect([first.status, second.status]).toEqual([201, 201]);
  expect(first.body).toMatchObject({
    id: expect.any(Number),
    category_id: category.body.id,
    name: "Whey Protein Isolate",
    brand_name: "OstroVit",
    price: 1390,
    inventory: 1000,
  });

  const read = await api("GET", `/api/v1/products/${second.body.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toEqual(second.body);

  const listed = await api("GET", `/api/v1/products?category_id=${category.body.id}&page=1&page_size=10`);
  expect(listed.body).toMatchObject({ page: 1, page_size: 10, total: 2 });
  expect(listed.body.items.map((p: { name: string }) => p.name)).toEqual(["Whey Protein Isolate", "Whey Protein Professional"]);
  const categories = await api("GET", "/api/v1/categories");
  expect(categories.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: category.body.id, name: "whey" })]));
});

describe("validation", () => {
  test.each([
    ["a negative price", { price: -1 }, "price"],
    ["negative inventory", { inventory: -5 }, "inventory"],
    ["a missing name", { name: undefined }, "name"],
    ["a fractional price", { price: 10.5 }, "price"],
  ])("%s is a 422 naming the field, and nothing is written", async (_name, change, field) => {
    const categoryId = await createCategory();
    const before = await productCount();
    const body = { category_id: categoryId, name: "x", price: 1, inventory: 1, ...change };
    const res = await api("POST", "/api/v1/products", { token, body });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    expect(await productCount()).toBe(before);
  });

  test("an unknown category is a 422 on category_id, and nothing is written", async () => {
    const before = await productCount();
    const res = await api("POST", "/api/v1/products", { token, body: { category_id: 2_000_000_000, name: "x", price: 1, inventory: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.error.fields).toEqual([{ field: "category_id", message: "The category does not exist." }]);
    expect(await productCount()).toBe(before);
  });

  test("a duplicate category name is a 409; writes need a token; page sizes are bounded", async () => {
    const name = `dup-${randomUUID()}`;
    expect((await api("POST", "/api/v1/categories", { token, body: { name } })).status).toBe(201);
    expect((await api("POST", "/api/v1/categories", { token, body: { name } })).status).toBe(409);
    expect((await api("POST", "/api/v1/categories", { body: { name: `anon-${randomUUID()}` } })).status).toBe(401);
    expect((await api("GET", "/api/v1/products?page_size=101")).status).toBe(422);
  });
});

test("a list read is kept in Redis's list cache, and a catalog write drops it", async () => {
  const categoryId = await createCategory();
  await createProduct(categoryId);
  expect(await redis.exists("{catalog}:lists")).toBe(0);
  const listed = await api("GET", `/api/v1/products?category_id=${categoryId}`);
  expect(listed.status).toBe(200);
  // Stored in a MULTI/EXEC with its expiry: the services' Redis user must be allowed the transaction.
  expect(await redis.hlen("{catalog}:lists")).toBeGreaterThan(0);
  expect(await redis.pttl("{catalog}:lists")).toBeGreaterThan(0);
  await createProduct(categoryId);
  expect(await redis.exists("{catalog}:lists")).toBe(0);
});

test("an update is visible on the very next read", async () => {
  const product = await createProduct(await createCategory(), { price: 100 });
  expect((await api("GET", `/api/v1/products/${product.id}`)).body.price).toBe(100); // now cached
  const updated = await api("PUT", `/api/v1/products/${product.id}`, { token, body: { price: 250, name: "Renamed" } });
  expect(updated.status).toBe(200);
  const read = await api("GET", `/api/v1/products/${product.id}`);
  expect(read.body).toMatchObject({ id: product.id, price: 250, name: "Renamed" });
  expect((await api("PUT", "/api/v1/products/2000000000", { token, body: { price: 1 } })).status).toBe(404);
});

test("1,000 requests for ids that do not exist cause no product query in Postgres", async () => {
  // Far above any id the catalog hands out. (With the filter nearly empty, a false positive here has
  // a probability of the order of 1e-3 for the whole loop; one would show as a single query.)
  const ids = Array.from({ length: 1_000 }, (_, i) => 1_500_000_000 + i * 7);
  const before = await productByIdQueries();
  for (let i = 0; i < ids.length; i += 50) {
    const statuses = await Promise.all(ids.slice(i, i + 50).map(async (id) => (await api("GET", `/api/v1/products/${id}`)).status));
    expect(statuses.every((s) => s === 404)).toBe(true);
  }
  expect(await productByIdQueries()).toBe(before);
});

test("200 concurrent reads of one cold product cause exactly one database read", async () => {
  const product = await createProduct(await createCategory());
  // The write's delayed second invalidation must have run, so nothing empties the cache mid-test.
  await api("GET", `/api/v1/products/${product.id}`);
  await waitUntil("the product's cache entry to be invalidated by the create", async () => (await redis.exists(`product:{${product.id}}`)) === 0);

  const before = await productByIdQueries();
  const reads = await Promise.all(Array.from({ length: 200 }, () => api("GET", `/api/v1/products/${product.id}`)));
  expect(reads.every((r) => r.status === 200 && r.body.id === product.id)).toBe(true);
  expect(await productByIdQueries()).toBe(before + 1);
});
