// Parsing and classifying a trace recorded from Nix 2.8.0 (test/unit/fixtures): the work a pool
// worker does after every traced evaluation. The baseline is the least any strace parser does:
// split the text, one regular expression per line for the call, its path and errno, and resolve
// the path.
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { classify, parseStrace } from "../engine/nix/strace.js";
import { type CaseStats, type MicroCase, type MicroOptions, runBenny, statsOf } from "./micro.js";
import { repoRoot } from "./paths.js";
import { ratioOf, type SuiteResult } from "./results.js";

/** Where the fixture was recorded (see its header). */
const TOP = "/tmp/infra-trace-fixture";
const MARKER_DIR = "/tmp/mk2";

export interface TraceFixture {
  text: string;
  lines: number;
}

export function loadTrace(): TraceFixture {
  const file = join(repoRoot(), "test", "unit", "fixtures", "strace-nix-2.8.0-web3.txt");
  const text = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n");
  return { text, lines: text.split("\n").length };
}

const SYSCALL_LINE = /^(\d+)\s+(\w+)\([^"]*?"((?:[^"\\]|\\.)*)"(.*)\)\s+=\s+(-?\d+)(?:\s+(E[A-Z]+))?/;

export const PARSE = "parseStrace + classify";
export const FLOOR = "split + regex + resolve per line";

export function traceCases(fixture: TraceFixture): MicroCase[] {
  return [
    {
      name: PARSE,
      fn: () => classify(parseStrace(fixture.text, { initialCwd: TOP }), { top: TOP, markerDir: MARKER_DIR }),
    },
    {
      name: FLOOR,
      fn: () => {
        const out: { pid: number; call: string; path: string; errno: string | undefined }[] = [];
        for (const line of fixture.text.split("\n")) {
          const m = SYSCALL_LINE.exec(line);
          if (m) out.push({ pid: Number(m[1]), call: m[2]!, path: posix.resolve(TOP, m[3]!), errno: m[6] });
        }
        return out;
      },
    },
  ];
}

export function traceRows(stats: CaseStats[], fixture: TraceFixture): SuiteResult["rows"] {
  const parse = statsOf(stats, PARSE);
  const floor = statsOf(stats, FLOOR);
  return [
    {
      suite: "trace",
      scenario: `parse + classify a recorded trace (${fixture.lines} lines)`,
      unit: "µs",
      infra: parse.medianMs * 1000,
      baseline: floor.medianMs * 1000,
      baselineLabel: FLOOR,
      ratio: ratioOf(parse.medianMs, floor.medianMs),
      samples: Math.min(parse.samples, floor.samples),
    },
  ];
}

export default async function run(options: MicroOptions = {}): Promise<SuiteResult> {
  const fixture = loadTrace();
  const stats = await runBenny("trace", traceCases(fixture), options);
  const parse = statsOf(stats, PARSE);
  return {
    suite: "trace",
    rows: traceRows(stats, fixture),
    checks: [],
    notes: [`${Math.round(fixture.lines / parse.medianMs)} trace lines per ms`],
  };
}
