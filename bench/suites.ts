// Which compiled suites run.ts finds, in what order, and whether a suite's answer is a report
// it can put in the table. Pure.
import type { Row, SuiteResult } from "./results.js";

/** Cheap suites first; e2e (minutes) last. */
const ORDER = ["trace", "fingerprint", "cache", "graph", "e2e"];

/** Suite names from a folder listing (`<name>.bench.js`), in running order. */
export function suiteOrder(files: string[]): string[] {
  const names = files.filter((f) => f.endsWith(".bench.js")).map((f) => f.slice(0, -".bench.js".length));
  // Unknown suites go just before e2e.
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.indexOf("e2e") - 0.5);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A suite in this folder's shape (others, e.g. graph's, are kept as they are in results.json). */
export function isSuiteResult(value: unknown): value is SuiteResult {
  const v = value as Partial<SuiteResult> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.suite === "string" &&
    Array.isArray(v.rows) &&
    Array.isArray(v.checks) &&
    Array.isArray(v.notes)
  );
}

interface MedianCase {
  name: string;
  medianMs: number;
  samples: number;
  suite?: string;
}

function isMedianCase(value: unknown): value is MedianCase {
  const v = value as Partial<MedianCase> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.name === "string" &&
    typeof v.medianMs === "number" &&
    typeof v.samples === "number"
  );
}

/**
 * Rows for a suite that answers with a plain list of benny medians (`{ name, medianMs, samples }`,
 * as graph.bench does): information rows without targets, so they still show in the table.
 */
export function rowsFromCases(suite: string, value: unknown): Row[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isMedianCase)) return undefined;
  return value.map((c) => ({
    suite,
    scenario: c.suite ? `${c.suite}: ${c.name}` : c.name,
    unit: "ms",
    infra: c.medianMs,
    samples: c.samples,
  }));
}
