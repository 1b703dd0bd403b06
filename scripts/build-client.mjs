// Bundles the interactive graph page's browser code (sigma + graphology + ours) into one script
// that graph/export/html.ts inlines, so the exported page needs no network.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "graph", "export", "html-client", "main.ts");
const outfile = join(root, "dist", "graph", "export", "html-client.js");
if (existsSync(entry)) {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
}
