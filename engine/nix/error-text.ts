// Turns Nix's error text into message, position and a trimmed trace. Pure.

/** Where in the user's Nix code something went wrong. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface ParsedNixError {
  message: string;
  position: SourcePosition | undefined;
  /** "… while evaluating …" frames with their positions, user code first, loader frames dropped. */
  trace: string[];
}

const AT = /^\s*at (.+?):(\d+):(\d+):?\s*$/;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export interface ParseErrorOptions {
  /** Files that are infra's own (the loader): never reported as the error's position. */
  ownFiles: string[];
  /** Rewrites a path Nix printed (a store copy of the repository back to the working tree). */
  mapPath?: (path: string) => string;
  /** Keep at most this many trace frames. */
  maxFrames?: number;
}

/**
 * Nix 2.8 prints `error: <message>` then the position and, with --show-trace, `… while` frames;
 * newer releases print the frames first and the message last (`error: …` / `error: <message>`).
 * Both are handled; so are syntax errors and errors without a position.
 */
export function parseNixError(stderr: string, options: ParseErrorOptions): ParsedNixError {
  const mapPath = options.mapPath ?? ((p: string) => p);
  const lines = stderr.replace(ANSI, "").split("\n");
  const messageLines: string[] = [];
  const positions: { pos: SourcePosition; index: number }[] = [];
  const frames: { text: string; pos: SourcePosition | undefined }[] = [];
  let messageStart = -1;
  lines.forEach((line, index) => {
    const at = AT.exec(line);
    if (at) {
      const pos = { file: mapPath(at[1]!), line: Number(at[2]), column: Number(at[3]) };
      positions.push({ pos, index });
      const last = frames[frames.length - 1];
      if (last && last.pos === undefined) last.pos = pos;
      return;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith("… ")) frames.push({ text: trimmed.slice(2), pos: undefined });
    const err = /^\s*error:\s?(.*)$/.exec(line);
    if (err && (err[1] ?? "").trim() !== "" && (err[1] ?? "").trim() !== "…") messageStart = index;
  });

  if (messageStart >= 0) {
    for (let i = messageStart; i < lines.length; i++) {
      const line = lines[i]!;
      if (i > messageStart && (line.trim() === "" || AT.test(line) || line.trim().startsWith("… "))) break;
      messageLines.push(i === messageStart ? line.replace(/^\s*error:\s?/, "") : line.trim());
    }
  }
  let message = messageLines.join(" ").replace(/\s+/g, " ").trim();
  if (message === "") {
    message =
      lines
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("warning:") && !l.startsWith("trace:"))
        .pop() ?? "evaluation failed";
  }
  message = message.replace(/^infra: /, "");

  const own = (file: string) => options.ownFiles.includes(file);
  // The position right after the message is the error's own; otherwise the first one in user code.
  const afterMessage = positions.find((p) => p.index > messageStart && !own(p.pos.file));
  const firstUser = positions.find((p) => !own(p.pos.file) && !p.pos.file.startsWith("«"));
  const position = (afterMessage ?? firstUser)?.pos;

  const maxFrames = options.maxFrames ?? 12;
  const trace = frames
    // A frame without a position (Nix's trailing "from call site") says nothing useful.
    .filter((f) => f.pos !== undefined && !own(f.pos.file))
    .slice(0, maxFrames)
    .map((f) => `${f.text} (${f.pos!.file}:${f.pos!.line}:${f.pos!.column})`);
  return { message, position, trace };
}
