import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGE_HEADER_LIMIT, type AgeHeader, parseAgeHeader, sshTags } from "../../../../engine/secrets/age.js";
import { age, ageKeygen, requireTools, sshKeygen, tempDir } from "./helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";
const b64 = (n: number) => randomBytes(n).toString("base64").replace(/=+$/, "");

/** A header built by hand, for stanza types the age CLI cannot make non-interactively. */
function handHeader(stanzas: string[], mac = b64(32)): Buffer {
  return Buffer.from(`age-encryption.org/v1\n${stanzas.join("")}--- ${mac}\n\x00payload`, "latin1");
}

let dir: { path: string; remove: () => void };
let binary: Buffer;
let armored: Buffer;
let hostTag: string;

beforeAll(() => {
  requireTools();
  dir = tempDir();
  const host = sshKeygen(dir.path, "host");
  const rsa = sshKeygen(dir.path, "rsa", "rsa");
  const admin = ageKeygen(dir.path, "admin");
  const args = ["-r", admin.recipient, "-R", host.publicPath, "-R", rsa.publicPath];
  binary = age(args, `${CANARY}\n`);
  armored = age(["-a", ...args], `${CANARY}\n`);
  const parsed = parseAgeHeader(binary) as AgeHeader;
  hostTag = sshTags(parsed)[0]!;
});
afterAll(() => dir.remove());

describe("parseAgeHeader on real age output", () => {
  it.each([
    ["binary", () => binary, false],
    ["armored", () => armored, true],
  ])("reads the recipients of a %s file", (_form, file, isArmored) => {
    const header = parseAgeHeader(file());
    expect(header).toMatchObject({ kind: "age", armored: isArmored });
    if (header.kind !== "age") return;
    expect(header.stanzas.map((s) => s.type)).toEqual(["X25519", "ssh-ed25519", "ssh-rsa"]);
    expect(header.stanzas[1]).toMatchObject({ type: "ssh-ed25519", tag: hostTag });
    expect(header.stanzas[0]).toMatchObject({ share: expect.stringMatching(/^[A-Za-z0-9+/]{43}$/) });
    expect(header.mac).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(JSON.stringify(header)).not.toContain(CANARY);
  });

  it("looks at the first 64 KiB only, whatever follows", () => {
    const big = age(["-R", `${dir.path}/host.pub`], randomBytes(3 * AGE_HEADER_LIMIT));
    const header = parseAgeHeader(big.subarray(0, AGE_HEADER_LIMIT), { truncated: true });
    expect(header).toMatchObject({ kind: "age", stanzas: [{ type: "ssh-ed25519", tag: hostTag }] });
    expect(parseAgeHeader(Buffer.concat([binary, randomBytes(1000)])).kind).toBe("age");
  });

  it("reads an armored file cut by the read limit mid-payload", () => {
    const big = age(["-a", "-R", `${dir.path}/host.pub`], randomBytes(2 * AGE_HEADER_LIMIT));
    const cut = big.subarray(0, AGE_HEADER_LIMIT + 7);
    expect(parseAgeHeader(cut.subarray(0, AGE_HEADER_LIMIT), { truncated: true }).kind).toBe("age");
  });
});

describe("stanza types", () => {
  it("parses scrypt, plugin and grease stanzas", () => {
    const body = `${b64(32)}\n`;
    const header = parseAgeHeader(handHeader([`-> scrypt ${b64(16)} 18\n${body}`]));
    expect(header).toMatchObject({ kind: "age", stanzas: [{ type: "scrypt", workFactor: 18 }] });
    const other = parseAgeHeader(
      handHeader([
        `-> piv-p256 abcd ${b64(33)}\n${body}`,
        "-> 8x-grease .\n\n",
        `-> X25519 ${b64(32)}\n${body}`,
      ]),
    );
    expect(other).toMatchObject({
      kind: "age",
      stanzas: [
        { type: "other", name: "piv-p256", args: ["abcd", expect.any(String)] },
        { type: "other", name: "8x-grease" },
        { type: "X25519" },
      ],
    });
  });
});

describe("not age: plaintext", () => {
  it.each([
    ["a plaintext secret", `password=${CANARY}\n`],
    ["zeros", "\0".repeat(4096)],
    ["a PGP message", "-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n"],
    ["a YAML file", `db:\n  password: ${CANARY}\n`],
  ])("%s is not-age, and the reason does not quote it", (_what, text) => {
    const result = parseAgeHeader(Buffer.from(text, "latin1"));
    expect(result.kind).toBe("not-age");
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });
});

describe("damaged headers", () => {
  const lines = () => binary.toString("latin1").split("\n");
  const withLine = (index: number, replacement: string) => {
    const all = lines();
    all[index] = replacement;
    return Buffer.from(all.join("\n"), "latin1");
  };
  const headerText = () =>
    binary.subarray(0, (parseAgeHeader(binary) as AgeHeader).headerBytes).toString("latin1");

  it.each([
    [
      "the file ends inside the header",
      () => Buffer.from(headerText().split("---")[0]!, "latin1"),
      /ends inside the header/,
    ],
    [
      "an unsupported version",
      () => Buffer.from("age-encryption.org/v2\n-> X\n\n--- x\n"),
      /unsupported age format version/,
    ],
    [
      "a short MAC",
      () => Buffer.from(headerText().replace(/--- \S+/, `--- ${b64(16)}`), "latin1"),
      /32-byte MAC/,
    ],
    ["a garbage line", () => withLine(1, "garbage line"), /expected a `-> type args/],
    [
      "a stanza with a space in an arg",
      () => withLine(1, "-> X25519  two-spaces"),
      /expected a `-> type args/,
    ],
    ["a body line that is not base64", () => withLine(2, "!!!!"), /not unpadded base64/],
    [
      "an X25519 stanza with two args",
      () => withLine(1, `-> X25519 ${b64(32)} extra`),
      /has 2 argument\(s\), age expects 1/,
    ],
    ["a bad ssh-ed25519 tag", () => withLine(3, `-> ssh-ed25519 ${b64(5)} ${b64(32)}`), /tag is malformed/],
    ["an empty file", () => Buffer.alloc(0), /the file is empty/],
    ["no stanza at all", () => Buffer.from(`age-encryption.org/v1\n--- ${b64(32)}\n`), /no recipient stanza/],
    [
      "scrypt next to another stanza",
      () => handHeader([`-> scrypt ${b64(16)} 18\n${b64(32)}\n`, `-> X25519 ${b64(32)}\n${b64(32)}\n`]),
      /scrypt .* must be the only one/,
    ],
  ])("%s", (_what, make, reason) => {
    const result = parseAgeHeader(make());
    expect(result.kind).toBe("damaged");
    if (result.kind === "damaged") expect(result.reason).toMatch(reason);
  });

  it("names the line", () => {
    expect(parseAgeHeader(withLine(2, "!!!!"))).toMatchObject({ kind: "damaged", line: 3 });
  });

  it("reports a header longer than the read limit", () => {
    const many = Array.from({ length: 2000 }, () => `-> X25519 ${b64(32)}\n${b64(32)}\n`);
    const text = handHeader(many);
    expect(text.length).toBeGreaterThan(AGE_HEADER_LIMIT);
    const result = parseAgeHeader(text.subarray(0, AGE_HEADER_LIMIT), { truncated: true });
    expect(result).toMatchObject({
      kind: "damaged",
      reason: expect.stringMatching(/does not end within the first 65536 bytes/),
    });
  });

  it.each([
    [
      "a non-base64 armored line",
      (t: string) => t.replace(/\n[A-Za-z0-9+/]{10}/, "\n!!!!!!!!!!"),
      /not valid base64/,
    ],
    [
      "a missing END line",
      (t: string) => t.replace(/-----END AGE ENCRYPTED FILE-----\n?$/, ""),
      /no END line|short armored line/,
    ],
    [
      "an over-long armored line",
      (t: string) => t.replace("\n", "\nAAAA"),
      /longer than 64 columns|not valid base64/,
    ],
  ])("armored: %s", (_what, mutate, reason) => {
    const result = parseAgeHeader(Buffer.from(mutate(armored.toString("latin1")), "latin1"));
    expect(result).toMatchObject({ kind: "damaged", armored: true });
    if (result.kind === "damaged") expect(result.reason).toMatch(reason);
  });

  it("armor around something that is not age", () => {
    const text = `-----BEGIN AGE ENCRYPTED FILE-----\n${Buffer.from(`hello ${CANARY}`).toString("base64")}\n-----END AGE ENCRYPTED FILE-----\n`;
    const result = parseAgeHeader(Buffer.from(text));
    expect(result).toMatchObject({ kind: "damaged", reason: "the armor does not contain an age v1 file" });
    expect(JSON.stringify(result)).not.toContain(CANARY);
  });
});
