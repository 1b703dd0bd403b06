import { beforeAll, describe, expect, it } from "vitest";
import {
  lookupSopsKey,
  parseSopsFile,
  type SopsFile,
  type SopsFileSummary,
  type SopsFormat,
  sopsFormatForPath,
} from "../../../../engine/secrets/sops.js";
import {
  envelope,
  type SopsMetaSpec,
  sopsBinary,
  sopsDotenv,
  sopsIni,
  sopsJson,
  sopsYaml,
} from "./helpers/sops-docs.js";
import { ageKeygen, requireTools, tempDir } from "./helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";

function parse(text: string, format: SopsFormat): SopsFileSummary {
  return parseSopsFile(Buffer.from(text), format);
}

function asSops(summary: SopsFileSummary): SopsFile {
  if (summary.kind !== "sops") throw new Error(`expected a sops file, got ${JSON.stringify(summary)}`);
  return summary;
}

let host: string;
let admin: string;
let meta: SopsMetaSpec;
let keyDir: string;

beforeAll(() => {
  requireTools();
  const dir = tempDir();
  keyDir = dir.path;
  host = ageKeygen(dir.path, "host").recipient;
  admin = ageKeygen(dir.path, "admin").recipient;
  meta = { age: [{ recipient: host }, { recipient: admin }] };
  return dir.remove;
});

describe("the four text formats and sops' binary store", () => {
  const cases: [SopsFormat, () => string, string[]][] = [
    [
      "yaml",
      () => sopsYaml({ db: { password: envelope(), user: envelope() }, api: envelope() }, meta),
      ["db/password", "db/user", "api"],
    ],
    [
      "json",
      () => sopsJson({ db: { password: envelope(), user: envelope() }, api: envelope() }, meta),
      ["db/password", "db/user", "api"],
    ],
    ["dotenv", () => sopsDotenv({ DB_PASSWORD: envelope(), API: envelope() }, meta), ["DB_PASSWORD", "API"]],
    [
      "ini",
      () => sopsIni({ db: { password: envelope() }, "not private": { api: envelope() } }, meta),
      ["db/password", "not private/api"],
    ],
    ["binary", () => sopsBinary(meta), ["data"]],
  ];
  it.each(cases)("%s: metadata, recipients and key paths", (format, make, keys) => {
    const summary = asSops(parse(make(), format));
    expect(summary.metadata.age.map((a) => a.recipient)).toEqual([host, admin]);
    // Each data key is really wrapped by age: one anonymous X25519 stanza per recipient.
    for (const a of summary.metadata.age) {
      expect(a.enc).toMatchObject({ kind: "age", armored: true, stanzas: [{ type: "X25519" }] });
    }
    expect(summary.metadata).toMatchObject({
      hasMac: true,
      version: "3.9.4",
      lastModified: "2025-01-02T03:04:05Z",
      keyGroups: 1,
      threshold: 1,
    });
    expect(summary.keys.filter((k) => k.node === "value").map((k) => k.name)).toEqual(keys);
    expect(summary.keys.every((k) => k.node !== "value" || k.state === "encrypted")).toBe(true);
    expect(summary.firstPlaintext).toBeUndefined();
  });

  it.each([
    ["secrets/web.yaml", "yaml"],
    ["x.yml", "yaml"],
    ["a.json", "json"],
    [".env", "dotenv"],
    ["app.ini", "ini"],
    ["tls.key", "binary"],
  ])("picks the format of %s like sops", (path, format) => {
    expect(sopsFormatForPath(path)).toBe(format);
  });
});

describe("plaintext is found and named, never shown", () => {
  it.each<[string, SopsFormat, () => string, string]>([
    [
      "a plaintext leaf in YAML",
      "yaml",
      () => sopsYaml({ db: { password: CANARY, user: envelope() } }, meta),
      "db/password",
    ],
    [
      "a plaintext number in YAML",
      "yaml",
      () => sopsYaml({ a: envelope() }, meta).replace("a: ", "port: 5432\na: "),
      "port",
    ],
    ["a plaintext leaf in JSON", "json", () => sopsJson({ list: [envelope(), CANARY] }, meta), "list/[1]"],
    ["a plaintext dotenv value", "dotenv", () => sopsDotenv({ A: envelope(), TOKEN: CANARY }, meta), "TOKEN"],
    ["a plaintext INI value", "ini", () => sopsIni({ s: { k: CANARY } }, meta), "s/k"],
  ])("%s", (_what, format, make, key) => {
    const summary = asSops(parse(make(), format));
    expect(summary.firstPlaintext?.name).toBe(key);
    expect(JSON.stringify(summary)).not.toContain(CANARY);
  });

  it("gives the line of the plaintext key", () => {
    const text = sopsYaml({ a: envelope(), db: { password: CANARY } }, meta);
    expect(asSops(parse(text, "yaml")).firstPlaintext).toEqual({ name: "db/password", line: 3 });
  });

  it.each<[string, SopsFormat, string]>([
    ["plaintext YAML", "yaml", `db:\n  password: ${CANARY}\n`],
    ["plaintext JSON", "json", `{"token": "${CANARY}"}`],
    ["a plaintext dotenv file", "dotenv", `TOKEN=${CANARY}\n`],
    ["a raw binary secret", "binary", `-----BEGIN PRIVATE KEY-----\n${CANARY}\n`],
    ["unparsable YAML", "yaml", `key: [${CANARY}\n  - : :\n`],
    ["unparsable JSON", "json", `{"a": ${CANARY}`],
  ])("%s is not-sops, without its content in the summary", (_what, format, text) => {
    const summary = parse(text, format);
    expect(summary.kind).toBe("not-sops");
    expect(JSON.stringify(summary)).not.toContain(CANARY);
  });

  it("names the first plaintext key of a plaintext YAML file", () => {
    const summary = parse(`db:\n  user: ""\n  password: ${CANARY}\n`, "yaml");
    expect(summary).toMatchObject({ kind: "not-sops", firstPlaintext: { name: "db/password", line: 3 } });
  });
});

describe("sops' encryption rules", () => {
  it("leaves _unencrypted keys alone", () => {
    const text = sopsYaml(
      { a: envelope(), note_unencrypted: "public", nested_unencrypted: { deep: "also" } },
      meta,
    );
    const summary = asSops(parse(text, "yaml"));
    expect(summary.firstPlaintext).toBeUndefined();
    expect(summary.keys.find((k) => k.name === "nested_unencrypted/deep")?.state).toBe("unencrypted");
  });

  it("honors encrypted_regex (only matching keys are encrypted)", () => {
    const text = sopsYaml(
      { data: { password: envelope() }, kind: "Secret" },
      { ...meta, encryptedRegex: "^(data|stringData)$" },
    );
    expect(asSops(parse(text, "yaml")).firstPlaintext).toBeUndefined();
    const leak = sopsYaml({ data: { password: CANARY } }, { ...meta, encryptedRegex: "^(data|stringData)$" });
    expect(asSops(parse(leak, "yaml")).firstPlaintext?.name).toBe("data/password");
  });

  it("treats empty values as sops does (left empty)", () => {
    const summary = asSops(parse(sopsYaml({ a: envelope(), empty: "" }, meta), "yaml"));
    expect(summary.keys.find((k) => k.name === "empty")?.state).toBe("empty");
  });
});

describe("metadata shapes", () => {
  it("reads key groups and the Shamir threshold", () => {
    const other = ageKeygen(keyDir, "other").recipient;
    const text = sopsYaml(
      { a: envelope() },
      { keyGroups: [{ age: [{ recipient: host }] }, { age: [{ recipient: other }] }], shamirThreshold: 2 },
    );
    const { metadata } = asSops(parse(text, "yaml"));
    expect(metadata).toMatchObject({ keyGroups: 2, threshold: 2 });
    expect(metadata.age.map((a) => [a.recipient, a.group])).toEqual([
      [host, 0],
      [other, 1],
    ]);
  });

  it("records PGP fingerprints", () => {
    const text = sopsYaml({ a: envelope() }, { ...meta, pgp: ["FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"] });
    expect(asSops(parse(text, "yaml")).metadata.pgp).toEqual(["FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"]);
  });

  it.each<[string, SopsFormat, () => string, RegExp]>([
    ["`sops` is not a mapping", "yaml", () => `a: ${envelope()}\nsops: 3\n`, /not a mapping/],
    [
      "no master key",
      "yaml",
      () => `a: ${envelope()}\nsops:\n    mac: ${envelope()}\n    version: 3.9.4\n`,
      /lists no key/,
    ],
    [
      "envelopes read in the wrong format",
      "yaml",
      () => sopsDotenv({ A: envelope() }, meta),
      /no sops metadata readable as yaml/,
    ],
    ["an empty file", "yaml", () => "\n", /the file is empty/],
    ["broken YAML with envelopes", "yaml", () => `a: ${envelope()}\n  b: [\n`, /not valid YAML/],
  ])("damaged: %s", (_what, format, make, reason) => {
    const summary = parse(make(), format);
    expect(summary.kind).toBe("damaged");
    if (summary.kind === "damaged") expect(summary.reason).toMatch(reason);
  });

  it("reports a damaged wrapped data key", () => {
    const text = sopsYaml(
      { a: envelope() },
      {
        age: [
          {
            recipient: host,
            enc: "-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n-----END AGE ENCRYPTED FILE-----\n",
          },
        ],
      },
    );
    expect(asSops(parse(text, "yaml")).metadata.age[0]!.enc.kind).toBe("damaged");
  });
});

describe("lookupSopsKey (sops-nix `key`)", () => {
  const doc = () =>
    asSops(
      parse(
        sopsYaml(
          { db: { password: envelope(), port: envelope("int") }, list: [envelope()], token: envelope() },
          meta,
        ),
        "yaml",
      ),
    );
  it.each([
    ["token", "value"],
    ["db/password", "value"],
    ["db", "not-a-string"],
    ["db/port", "not-a-string"],
    ["list", "not-a-string"],
    ["db/password/deeper", "not-a-string"],
    ["missing", "missing"],
    ["db/missing", "missing"],
  ])("%s → %s", (key, found) => {
    expect(lookupSopsKey(doc(), key)?.found).toBe(found);
  });

  it("names the first missing part and treats '' as the whole file", () => {
    expect(lookupSopsKey(doc(), "db/nope/x")).toEqual({ found: "missing", missing: "db/nope" });
    expect(lookupSopsKey(doc(), "")).toBeUndefined();
  });
});
