/** The README's walkthrough, as the tests read it: the shell block a reader pastes. */
import { readFileSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** The first sh block after the README's "### Walkthrough" heading. */
export function walkthrough(): string {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Walkthrough"));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md has no sh block under ### Walkthrough");
  return block[1];
}
