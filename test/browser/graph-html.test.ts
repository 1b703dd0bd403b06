// The exported graph page in headless Chromium: it renders offline, search and selection work,
// and the highlighted neighbourhood is exactly the selected node's.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageHooks } from "../../graph/export/html-payload.js";
import type * as GraphApi from "../../graph/index.js";
import { readSample, sampleInput } from "../unit/graph/sample.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT_API = join(ROOT, "dist", "graph", "index.js");
const ARTIFACTS = join(ROOT, "test", "artifacts");

/** What the page puts on `window` (and what this test adds), seen from page.evaluate. */
type PageWindow = { __infraGraph?: PageHooks; __blockedByCsp?: string[] };

// No browser is a failure that says how to fix it, never a silent skip (./scripts/setup installs it).
describe("graph page in headless Chromium", () => {
  let api: typeof GraphApi;
  let browser: Browser;
  let folder: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no browser at ${CHROMIUM}: run ./scripts/setup (or apt-get install -y chromium)`);
    // The page needs the bundled browser code, which only the build produces: use the built API.
    if (!existsSync(BUILT_API)) throw new Error(`${BUILT_API} is missing: run \`npm run build\` first`);
    api = (await import(pathToFileURL(BUILT_API).href)) as typeof GraphApi;
    folder = mkdtempSync(join(tmpdir(), "infra-graph-html-"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it("renders offline, finds a host, and highlights exactly its neighbourhood", async () => {
    const graph = api.buildGraph(sampleInput(), { readFile: readSample });
    const file = join(folder, "graph.html");
    writeFileSync(file, api.toHtml(graph, { title: "sample fleet" }));

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const blocked: string[] = [];
    const errors: string[] = [];
    await page.route("**", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith("file:") && !url.startsWith("data:") && !url.startsWith("blob:")) blocked.push(url);
    });
    // The page's Content-Security-Policy stops requests before they reach the network (and the
    // route above): record its refusals too, so any attempt at all fails the test.
    await page.addInitScript({
      content: `window.__blockedByCsp = [];
        document.addEventListener("securitypolicyviolation", (e) => window.__blockedByCsp.push(e.blockedURI));`,
    });
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });

    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => (globalThis as PageWindow).__infraGraph?.ready === true);

    await page.fill("#search", "web1");
    const result = page.locator('#results li[data-node="host:web1"]');
    await result.waitFor();
    await result.click();
    await page.waitForFunction(() => (globalThis as PageWindow).__infraGraph?.selected === "host:web1");

    const highlighted = await page.evaluate(() => (globalThis as PageWindow).__infraGraph!.highlighted);
    const expected = ["host:web1", ...graph.dependencies("host:web1"), ...graph.dependents("host:web1")];
    expect(highlighted).toEqual([...new Set(expected)].sort());
    expect(highlighted).toContain("path:roles/web.nix");
    expect(highlighted).toContain("input:flake.lock#nixpkgs");
    expect(highlighted).not.toContain("host:web2");

    const details = page.locator("#details");
    await expect(details.locator("h2").textContent()).resolves.toBe("web1");
    const text = (await details.textContent()) ?? "";
    expect(text).toContain("Kind");
    expect(text).toContain("host");
    expect(text).toContain("nixos");
    expect(text).toContain("/nix/store/aaaa-nixos-system-web1.drv");

    // Clicking a neighbour in the panel moves the selection there.
    await details.locator('li[data-node="path:roles/web.nix"]').click();
    await page.waitForFunction(
      () => (globalThis as PageWindow).__infraGraph?.selected === "path:roles/web.nix",
    );
    const roleNeighbourhood = await page.evaluate(() => (globalThis as PageWindow).__infraGraph!.highlighted);
    expect(roleNeighbourhood).toEqual(
      ["path:roles/web.nix", ...graph.neighbours("path:roles/web.nix")].sort(),
    );

    await page.evaluate(() => (globalThis as PageWindow).__infraGraph!.select("host:web1"));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "graph-html.png") });

    expect(blocked).toEqual([]);
    expect(await page.evaluate(() => (globalThis as PageWindow).__blockedByCsp)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows in a host's details what is deployed there and whether it is current", async () => {
    const input = sampleInput();
    const deployed = "/nix/store/dddd-nixos-system-web1";
    input.targets = input.targets.map((t) =>
      t.name === "web1"
        ? { ...t, deployed: { path: deployed, at: Date.UTC(2026, 0, 2, 3, 4, 5), current: false } }
        : t,
    );
    const file = join(folder, "deployed.html");
    writeFileSync(file, api.toHtml(api.buildGraph(input, { readFile: readSample }), { title: "deployed" }));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => (globalThis as PageWindow).__infraGraph?.ready === true);
    await page.evaluate(() => (globalThis as PageWindow).__infraGraph!.select("host:web1"));
    const text = (await page.locator("#details").textContent()) ?? "";
    expect(text).toContain(`Deployed${deployed}`);
    expect(text).toContain("Deployed at2026-01-02T03:04:05.000Z");
    expect(text).toContain("Deployed is currentfalse");
    await page.close();
  });
});
