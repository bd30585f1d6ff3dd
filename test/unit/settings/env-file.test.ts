import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const envFileModule = path.join(repoRoot, "lib", "settings", "env-file.ts");
// tsx, resolved from the checkout: the process runs in a scratch directory.
const tsx = require.resolve("tsx", { paths: [repoRoot] });

/** What a fresh process started in `dir` sees for NAME once env-file has run. */
function seen(dir: string, env: NodeJS.ProcessEnv): string {
  const script = `require(${JSON.stringify(envFileModule)}); process.stdout.write(String(process.env.SHOP_ENV_FILE_PROBE))`;
  return execFileSync(process.execPath, ["--import", pathToFileURL(tsx).href, "-e", script], { cwd: dir, env: { PATH: process.env.PATH, ...env } }).toString();
}

describe(".env", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "env-file-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is read from the working directory when there is one", () => {
    writeFileSync(path.join(dir, ".env"), "SHOP_ENV_FILE_PROBE=from-the-file\n");
    expect(seen(dir, {})).toBe("from-the-file");
  });

  it("gives way to what the environment already sets", () => {
    writeFileSync(path.join(dir, ".env"), "SHOP_ENV_FILE_PROBE=from-the-file\n");
    expect(seen(dir, { SHOP_ENV_FILE_PROBE: "from-the-environment" })).toBe("from-the-environment");
  });

  it("is not needed", () => {
    expect(seen(dir, {})).toBe("undefined");
  });
});
