/**
 * The API document's viewer at /api/docs: Swagger UI from the swagger-ui-dist
 * package (plain files, no build step, nothing fetched from elsewhere), with
 * a page and a start script of our own that point it at the document.
 */
import path from "node:path";
import { StaticFiles, readFiles } from "../../lib/http/static-files";

/** Where the gateway serves the document and its viewer: one route at DOCS_ROUTE_PATH, with these aliases. */
export const DOCS_ROUTE_PATH = "/api";
export const OPENAPI_ALIAS = "v1/openapi.json";
export const DOCS_ALIAS = "docs";
export const OPENAPI_PATH = `${DOCS_ROUTE_PATH}/${OPENAPI_ALIAS}`;
export const DOCS_PATH = `${DOCS_ROUTE_PATH}/${DOCS_ALIAS}`;

const SWAGGER_UI_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const SWAGGER_UI_FILES = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
} as const;

// Links are absolute: the page is served at /api/docs, where a relative "./x" would mean /api/x.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>saga-orchestration API</title>
    <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css" />
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_PATH}/start.js"></script>
  </body>
</html>
`;

// A file, not an inline script: the policy below allows none.
const START_SCRIPT = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(OPENAPI_PATH)}, dom_id: "#swagger-ui", deepLinking: true });\n`;

/** The gateway's own files only (Swagger UI's icons are data: URIs; the styles its script sets are not inline styles). */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The viewer's files, read once when the gateway starts; "index.html" is the page. */
export function docsFiles(): StaticFiles {
  const files = readFiles(SWAGGER_UI_DIR, SWAGGER_UI_FILES);
  files.set("index.html", { body: Buffer.from(PAGE), type: "text/html; charset=utf-8" });
  files.set("start.js", { body: Buffer.from(START_SCRIPT), type: "text/javascript; charset=utf-8" });
  return new StaticFiles(files, CONTENT_SECURITY_POLICY);
}
