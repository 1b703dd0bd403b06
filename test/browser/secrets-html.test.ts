// The secret browser (`infra secrets --out page.html`) in headless Chromium, made by the real CLI on
// the secrets fixture fleet: search a secret, see its hosts and their status, look at one host's
// secrets; no request leaves the page and no value is anywhere in its source.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInfra } from "../helpers/cli.js";
import { fixtures, type Repo } from "../helpers/repo.js";
import { requireTools } from "../unit/engine/secrets/helpers/tools.js";

const CHROMIUM = "/usr/bin/chromium";
const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";

describe("secret browser in headless Chromium", () => {
  const made = fixtures();
  let repo: Repo;
  let browser: Browser;
  let page: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no browser at ${CHROMIUM}: run ./scripts/setup (or apt-get install -y chromium)`);
    requireTools();
    repo = made.make("test/fixtures/secrets-fleet");
    page = join(`${repo.dir}.cache`, "secrets.html");
    const r = await runInfra(
      ["secrets", "--out", page, "--repo", repo.dir, "--cache-dir", `${repo.dir}.cache`],
      {
        cwd: repo.dir,
      },
    );
    // Some checks fail on this fleet on purpose: the page shows them.
    expect(r.exitCode, r.stderr).toBe(1);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    made.cleanup();
  });

  it("finds a secret, lists its hosts with their status, and a host's secrets", async () => {
    const source = readFileSync(page, "utf8");
    expect(source.includes(CANARY)).toBe(false);
    // No ciphertext either: the page holds names, files and statuses only.
    expect(source).not.toMatch(/-----BEGIN AGE ENCRYPTED FILE-----|ENC\[AES256_GCM/);

    const tab = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    tab.on("request", (request) => {
      if (!request.url().startsWith("file:")) requests.push(request.url());
    });
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(pathToFileURL(page).href);

    const all = await tab.locator("#rows tr").count();
    expect(all).toBeGreaterThan(5);
    await tab.fill("#search", "job-token");
    const rows = tab.locator("#rows tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-secret")).toBe("job-token");
    expect(await tab.locator("#count").textContent()).toBe(`1 of ${all}`);

    await rows.first().locator("td").nth(1).click();
    const hosts = tab.locator("#hosts-of-secret li");
    await hosts.first().waitFor();
    expect(await hosts.count()).toBe(1);
    expect(await hosts.first().getAttribute("data-host")).toBe("worker1");
    expect(await hosts.first().getAttribute("data-status")).toBe("not-for-host");
    expect(await hosts.first().textContent()).toMatch(/worker1: not-for-host — .*agenix --rekey/);

    // A file several hosts share: every one of them, each with its own verdict.
    await tab.fill("#search", "secrets/web.yaml");
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
    await rows.first().locator("td").nth(1).click();
    const shared = await tab
      .locator("#hosts-of-secret li")
      .evaluateAll((lis) =>
        lis.map((li) => `${li.getAttribute("data-host")} ${li.getAttribute("data-status")}`),
      );
    expect(shared).toContain("web2 not-for-host");
    expect(shared.some((s) => s.startsWith("web1 "))).toBe(true);

    // Per host: click the host cell.
    await tab.fill("#search", "mail1");
    await rows.first().waitFor();
    await rows.first().locator("td.host").click();
    const own = tab.locator("#secrets-of-host li");
    await own.first().waitFor();
    const statuses = await own.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === "unknown-host-key" || s === "missing")).toBe(true);

    const html = await tab.content();
    expect(html.includes(CANARY)).toBe(false);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await tab.close();
  });
});
