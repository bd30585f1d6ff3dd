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

  it("is the operator role in production when unset", () => {
    expect(catalogWriterRole({ NODE_ENV: "production" })).toBe("admin");
    expect(catalogWriterRole({ NODE_ENV: "production", CATALOG_WRITER_ROLE: "  " })).toBe("admin");
  });
});
