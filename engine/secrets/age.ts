// The header of an age file (https://age-encryption.org/v1), binary or ASCII-armored, parsed
// without any key: it names who can open the file (one stanza per recipient) and ends with the
// `---` MAC line, after which only ciphertext follows. We stop there, never look at the payload,
// and read at most AGE_HEADER_LIMIT bytes, so a 2 GB file costs what a 200-byte one does.
//
// The grammar follows filippo.io/age internal/format and armor: stanza lines `-> type args…`,
// bodies in strict unpadded base64 wrapped at 64 columns and ended by a short (maybe empty)
// line, args of printable ASCII. Reasons never quote the input: a file that turns out not to
// be age may be a plaintext secret.
import { base64, base64nopad } from "@scure/base";

/** At most this many bytes of any secret file are ever read or parsed. */
export const AGE_HEADER_LIMIT = 64 * 1024;

const INTRO = "age-encryption.org/v1";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";
const COLUMNS = 64;
const BYTES_PER_LINE = 48;
const LF = 0x0a;

/** One recipient stanza. Shares, salts and tags are public header data, never secret. */
export type AgeStanza =
  | {
      /** An age1… (X25519) recipient. */
      readonly type: "X25519";
      /** The sender's ephemeral share (base64); says nothing about who the recipient is. */
      readonly share: string;
    }
  | {
      readonly type: "ssh-ed25519";
      /** First 4 bytes of SHA-256 of the recipient's SSH public key, unpadded base64. */
      readonly tag: string;
      /** The ephemeral X25519 share (base64). */
      readonly share: string;
    }
  | {
      readonly type: "ssh-rsa";
      /** First 4 bytes of SHA-256 of the recipient's SSH public key, unpadded base64. */
      readonly tag: string;
    }
  | {
      readonly type: "scrypt";
      /** The passphrase salt (base64). */
      readonly salt: string;
      /** log2 of the scrypt work factor. */
      readonly workFactor: number;
    }
  | {
      /** Plugins (`piv-p256`, …), grease stanzas, future types: kept by name. */
      readonly type: "other";
      /** The stanza type as written. */
      readonly name: string;
      /** Its arguments as written. */
      readonly args: readonly string[];
    };

/** A well-formed age header. */
export interface AgeHeader {
  /** Discriminant: a well-formed age header. */
  readonly kind: "age";
  /** Whether the file is in the `-----BEGIN AGE ENCRYPTED FILE-----` form. */
  readonly armored: boolean;
  /** The recipient stanzas, in file order. */
  readonly stanzas: readonly AgeStanza[];
  /** The header MAC (base64); changes whenever the file is re-encrypted. */
  readonly mac: string;
  /** Length of the (decoded) header including the MAC line. */
  readonly headerBytes: number;
}

/** The file does not start like an age file: treat it as plaintext. */
export interface NotAge {
  /** Discriminant: not an age file. */
  readonly kind: "not-age";
  /** Why, without quoting the content. */
  readonly reason: string;
}

/** It starts like an age file but the header is broken (age itself would refuse it). */
export interface DamagedAge {
  /** Discriminant: a broken age header. */
  readonly kind: "damaged";
  /** Whether the damage is inside the armored form. */
  readonly armored: boolean;
  /** What is wrong, without quoting the content. */
  readonly reason: string;
  /** 1-based line of the (decoded) header where it went wrong, when known. */
  readonly line?: number;
}

export type AgeFileSummary = AgeHeader | NotAge | DamagedAge;

export interface AgeParseOptions {
  /** The bytes are only the start of a longer file (the reader stopped at its limit). */
  truncated?: boolean;
}

class Damage extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
  ) {
    super(reason);
  }
}

function decodeNoPad(text: string): Uint8Array | undefined {
  try {
    return base64nopad.decode(text);
  } catch {
    return undefined;
  }
}

/** Printable ASCII without space, as age requires of stanza arguments. */
const VALID_ARG = /^[\x21-\x7e]+$/;

function stanzaFrom(args: string[], body: Uint8Array, line: number): AgeStanza {
  const [type = "", ...rest] = args;
  const need = (count: number) => {
    if (rest.length !== count) {
      throw new Damage(`the ${type} stanza has ${rest.length} argument(s), age expects ${count}`, line);
    }
  };
  const bytesOf = (text: string, length: number, what: string) => {
    if (decodeNoPad(text)?.length !== length)
      throw new Damage(`the ${type} stanza's ${what} is malformed`, line);
    return text;
  };
  switch (type) {
    case "X25519":
      need(1);
      if (body.length !== 32) throw new Damage("the X25519 stanza's body is not 32 bytes", line);
      return { type, share: bytesOf(rest[0]!, 32, "share") };
    case "ssh-ed25519":
      need(2);
      if (body.length !== 32) throw new Damage("the ssh-ed25519 stanza's body is not 32 bytes", line);
      return { type, tag: bytesOf(rest[0]!, 4, "tag"), share: bytesOf(rest[1]!, 32, "share") };
    case "ssh-rsa":
      need(1);
      if (body.length === 0) throw new Damage("the ssh-rsa stanza has an empty body", line);
      return { type, tag: bytesOf(rest[0]!, 4, "tag") };
    case "scrypt": {
      need(2);
      if (!/^[1-9][0-9]?$/.test(rest[1]!)) throw new Damage("the scrypt work factor is malformed", line);
      if (body.length !== 32) throw new Damage("the scrypt stanza's body is not 32 bytes", line);
      return { type, salt: bytesOf(rest[0]!, 16, "salt"), workFactor: Number(rest[1]) };
    }
    default:
      return { type: "other", name: type, args: rest };
  }
}

/** Parses a binary header from `bytes`; throws Damage, or returns undefined when incomplete. */
function parseBinary(bytes: Uint8Array): Omit<AgeHeader, "kind" | "armored"> | undefined {
  let pos = 0;
  let lineNo = 0;
  // Lines are ASCII; latin1 keeps one char per byte so lengths stay byte lengths.
  const nextLine = (): string | undefined => {
    const end = bytes.indexOf(LF, pos);
    if (end < 0) return undefined;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString("latin1");
    pos = end + 1;
    lineNo++;
    return text;
  };
  if (nextLine() !== INTRO) throw new Damage("the first line is not the age v1 intro", 1);
  const stanzas: AgeStanza[] = [];
  for (;;) {
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith("---")) {
      const parts = line.split(" ");
      if (parts[0] !== "---" || parts.length !== 2 || decodeNoPad(parts[1]!)?.length !== 32) {
        throw new Damage("the closing `---` line does not hold a 32-byte MAC", lineNo);
      }
      if (stanzas.length === 0) throw new Damage("the header has no recipient stanza", lineNo);
      if (stanzas.some((s) => s.type === "scrypt") && stanzas.length > 1) {
        throw new Damage("an scrypt (passphrase) stanza must be the only one", lineNo);
      }
      return { stanzas, mac: parts[1]!, headerBytes: pos };
    }
    const parts = line.split(" ");
    if (parts[0] !== "->" || parts.length < 2 || !parts.slice(1).every((a) => VALID_ARG.test(a))) {
      throw new Damage("expected a `-> type args…` stanza line or the closing `---` line", lineNo);
    }
    const opening = lineNo;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined) return undefined;
      const chunk = decodeNoPad(bodyLine);
      if (chunk === undefined || chunk.length > BYTES_PER_LINE || bodyLine.length > COLUMNS) {
        throw new Damage("a stanza body line is not unpadded base64 of at most 64 columns", lineNo);
      }
      chunks.push(chunk);
      if (chunk.length < BYTES_PER_LINE) break;
    }
    stanzas.push(stanzaFrom(parts.slice(1), Buffer.concat(chunks), opening));
  }
}

/** Decodes armored lines up to the END line (or up to the end of the bytes we have). */
function dearmor(text: string, start: number, truncated: boolean): { bytes: Uint8Array; complete: boolean } {
  const lines = text.slice(start).split("\n");
  // A line cut by the read limit is incomplete: drop it rather than misjudge it.
  if (truncated && !text.endsWith("\n")) lines.pop();
  const chunks: Uint8Array[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line === ARMOR_END) return { bytes: Buffer.concat(chunks), complete: true };
    if (line.length === 0 || line.length > COLUMNS) {
      throw new Damage("an armored line is empty or longer than 64 columns", i + 1);
    }
    let chunk: Uint8Array;
    try {
      chunk = base64.decode(line);
    } catch {
      throw new Damage("an armored line is not valid base64", i + 1);
    }
    chunks.push(chunk);
    const last = i === lines.length - 1;
    if (chunk.length < BYTES_PER_LINE && !last && lines[i + 1]!.replace(/\r$/, "") !== ARMOR_END) {
      throw new Damage("a short armored line is not followed by the END line", i + 2);
    }
  }
  if (!truncated) throw new Damage("the armored file has no END line");
  return { bytes: Buffer.concat(chunks), complete: false };
}

function wrap(armored: boolean, parse: () => AgeFileSummary): AgeFileSummary {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof Damage)) throw error;
    return error.line === undefined
      ? { kind: "damaged", armored, reason: error.reason }
      : { kind: "damaged", armored, reason: error.reason, line: error.line };
  }
}

function incomplete(armored: boolean, truncated: boolean, read: number): DamagedAge {
  return {
    kind: "damaged",
    armored,
    reason: truncated
      ? `the header does not end within the first ${read} bytes`
      : "the file ends inside the header (no `---` MAC line)",
  };
}

/**
 * Parses the header at the start of `bytes` (pass at most AGE_HEADER_LIMIT bytes; set
 * `truncated` when the file is longer). Only the header is examined.
 */
export function parseAgeHeader(bytes: Uint8Array, options: AgeParseOptions = {}): AgeFileSummary {
  const truncated = options.truncated ?? false;
  const view = bytes.subarray(0, AGE_HEADER_LIMIT);
  const cut = truncated || view.length < bytes.length;
  const head = Buffer.from(view.buffer, view.byteOffset, Math.min(view.length, 64)).toString("latin1");
  if (head.startsWith(`${INTRO}\n`)) {
    return wrap(false, () => {
      const header = parseBinary(view);
      return header ? { kind: "age", armored: false, ...header } : incomplete(false, cut, view.length);
    });
  }
  if (head.startsWith("age-encryption.org/")) {
    return { kind: "damaged", armored: false, reason: "unsupported age format version", line: 1 };
  }
  // age accepts up to 1024 bytes of leading whitespace before the armor.
  const text = Buffer.from(view.buffer, view.byteOffset, view.length).toString("latin1");
  const start = text.search(/\S/);
  const armorAt = start >= 0 && start <= 1024 && text.startsWith(ARMOR_BEGIN, start) ? start : -1;
  const afterBegin = text.slice(armorAt + ARMOR_BEGIN.length, armorAt + ARMOR_BEGIN.length + 2);
  // An empty file holds no secret, plaintext or not: it is a broken secret file.
  if (view.length === 0) return { kind: "damaged", armored: false, reason: "the file is empty" };
  if (armorAt < 0 || !/^\r?\n/.test(afterBegin)) {
    return { kind: "not-age", reason: "it starts neither with the age v1 intro nor with age armor" };
  }
  return wrap(true, () => {
    const { bytes: decoded, complete } = dearmor(text, armorAt, cut);
    if (!Buffer.from(decoded.subarray(0, INTRO.length + 1)).equals(Buffer.from(`${INTRO}\n`))) {
      if (decoded.length <= INTRO.length && !complete) return incomplete(true, cut, view.length);
      return { kind: "damaged", armored: true, reason: "the armor does not contain an age v1 file" };
    }
    const header = parseBinary(decoded);
    return header ? { kind: "age", armored: true, ...header } : incomplete(true, !complete, view.length);
  });
}

/** The ssh stanza tags of a header (ssh-ed25519 and ssh-rsa), in file order. */
export function sshTags(header: AgeHeader): string[] {
  return header.stanzas.flatMap((s) => (s.type === "ssh-ed25519" || s.type === "ssh-rsa" ? [s.tag] : []));
}
