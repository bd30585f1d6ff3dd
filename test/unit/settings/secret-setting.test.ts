import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { secretSetting } from "../../../lib/settings/settings";

const dir = mkdtempSync(path.join(tmpdir(), "secret-setting-"));
const secretFile = path.join(dir, "jwt");
writeFileSync(secretFile, "from-the-file\n");

describe("a secret setting", () => {
  it("is the variable's value, or the trimmed content of the file its _FILE names", () => {
    expect(secretSetting({ JWT_SECRET: "from-the-variable" }, "JWT_SECRET")).toBe("from-the-variable");
    expect(secretSetting({ JWT_SECRET_FILE: secretFile }, "JWT_SECRET")).toBe("from-the-file");
  });

  it("is unset when neither is given, or both are empty", () => {
    expect(secretSetting({}, "JWT_SECRET")).toBeUndefined();
    expect(secretSetting({ JWT_SECRET: "", JWT_SECRET_FILE: "" }, "JWT_SECRET")).toBeUndefined();
  });

  it("refuses both at once, and a file that cannot be read, naming the variable", () => {
    expect(() => secretSetting({ JWT_SECRET: "a", JWT_SECRET_FILE: secretFile }, "JWT_SECRET")).toThrow("JWT_SECRET and JWT_SECRET_FILE are both set");
    expect(() => secretSetting({ JWT_SECRET_FILE: path.join(dir, "missing") }, "JWT_SECRET")).toThrow(/JWT_SECRET_FILE names .*missing/);
  });
});
