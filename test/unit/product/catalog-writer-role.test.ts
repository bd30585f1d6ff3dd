import { catalogWriterRole } from "../../../services/product/catalog-validation";

describe("catalogWriterRole", () => {
  it("names the configured role", () => {
    expect(catalogWriterRole({ CATALOG_WRITER_ROLE: "admin" })).toBe("admin");
    expect(catalogWriterRole({ CATALOG_WRITER_ROLE: " admin ", NODE_ENV: "production" })).toBe("admin");
  });

  it("lets any signed-in account write when told `any`, or when unset outside production", () => {
    expect(catalogWriterRole({ CATALOG_WRITER_ROLE: "any", NODE_ENV: "production" })).toBeNull();
    expect(catalogWriterRole({})).toBeNull();
    expect(catalogWriterRole({ CATALOG_WRITER_ROLE: "" })).toBeNull();
  });

  it("refuses an unset role in production instead of opening the catalog", () => {
    expect(() => catalogWriterRole({ NODE_ENV: "production" })).toThrow(/CATALOG_WRITER_ROLE must be set in production/);
    expect(() => catalogWriterRole({ NODE_ENV: "production", CATALOG_WRITER_ROLE: "  " })).toThrow(/CATALOG_WRITER_ROLE/);
  });
});
