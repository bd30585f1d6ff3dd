/**
 * A page's files served by the gateway itself (the operators' dashboard, the
 * API document's viewer): held in memory, answered by name only, so no
 * request can reach a file outside the set, and each with its type and the
 * page's Content-Security-Policy.
 */
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { Errors } from "moleculer";

export interface StaticFile {
  body: Buffer;
  /** Its Content-Type. */
  type: string;
}

/** The files of `directory` named in `types` (name → Content-Type), read now. */
export function readFiles(directory: string, types: Readonly<Record<string, string>>): Map<string, StaticFile> {
  return new Map(Object.entries(types).map(([name, type]) => [name, { body: readFileSync(path.join(directory, name)), type }]));
}

export class StaticFiles {
  constructor(
    private readonly files: ReadonlyMap<string, StaticFile>,
    private readonly contentSecurityPolicy: string,
  ) {}

  /** Answers one of the files by name; anything else is a 404. */
  serve(res: ServerResponse, name: string): void {
    const file = this.files.get(name);
    if (!file) throw new Errors.MoleculerClientError(`No ${name} here`, 404, "NOT_FOUND");
    res.writeHead(200, {
      "Content-Type": file.type,
      "Content-Length": file.body.length,
      "Cache-Control": "no-cache",
      "Content-Security-Policy": this.contentSecurityPolicy,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    });
    res.end(file.body);
  }
}
