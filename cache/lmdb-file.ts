// LMDB's data file read with plain file reads, never through the native binding: the binding
// maps the file and trusts it, so a truncated or scribbled-on file crashes the process (SIGBUS,
// SIGSEGV) instead of failing. Everything here is bounds-checked JavaScript and cannot crash.
//
// The layout is the one of the liblmdb that lmdb-js 3.x compiles (node_modules/lmdb/dependencies/
// lmdb/libraries/liblmdb/mdb.c, the mdb.master3 branch), 64-bit, little-endian:
//
//   MDB_page_header (PAGEHDRSZ = 24)  mh_p (pgno, u64) @0, mh_txnid (u64) @8, mh_pad (u16) @16,
//                                     mh_flags (u16) @18, mh_pb: pb_lower/pb_upper (u16) @20/@22,
//                                     or pb_pages (u32) @20 on overflow pages
//   MDB_meta (144 bytes, at PAGEHDRSZ in pages 0 and 1)
//                                     mm_magic (u32) @0, mm_version (u32) @4, mm_address @8,
//                                     mm_mapsize @16, mm_dbs[FREE_DBI] @24, mm_dbs[MAIN_DBI] @72,
//                                     mm_last_pg @120, mm_txnid @128, boot_id @136
//   MDB_db (48 bytes)                 md_pad (u32; mm_psize for FREE_DBI) @0, md_flags (u16) @4,
//                                     md_depth (u16) @6, md_branch_pages @8, md_leaf_pages @16,
//                                     md_overflow_pages @24, md_entries @32, md_root @40
//   MDB_node (NODESIZE = 8)           mn_lo, mn_hi (u16) @0/@2, mn_flags (u16) @4, mn_ksize (u16)
//                                     @6, key then data @8; NODEPTR(p, i) = p + mp_ptrs[i] +
//                                     PAGEBASE, mp_ptrs (u16) from @24, NUMKEYS = pb_lower >> 1
//   MDB_ovpage (24 bytes, the data of an F_BIGDATA node)  op_pgno @0, op_txnid @8, op_pages @16
//
// lmdb-js's overlapping sync also keeps a copy of the last synced meta in the second half of
// page 0 (mdb_env_write_meta with txn flag 2: from mm_mapsize on, at psize/2 + PAGEHDRSZ); with
// that flag set, mdb_env_read_header reads it too and takes it when its txnid is the newest.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export const MDB_MAGIC = 0xbeefc0de;
/** MDB_DATA_VERSION of mdb.master3 (lmdb-js 3.x without LMDB_DATA_V1). */
export const MDB_DATA_VERSION = 2;
export const PAGEHDRSZ = 24;
export const META_SIZE = 144;
const NODESIZE = 8;
const DB_SIZE = 48;
const OVPAGE_SIZE = 24;
/** MAX_PAGESIZE with a non-zero PAGEBASE. */
const MAX_PAGESIZE = 0x10000;
const MIN_PAGESIZE = 512;
/** LMDB's CURSOR_STACK: no tree is deeper. */
const MAX_DEPTH = 32;

const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
const P_INVALID = 0xffff_ffff_ffff_ffffn;

export interface DbRecord {
  flags: number;
  depth: number;
  branchPages: number;
  leafPages: number;
  overflowPages: number;
  entries: number;
  /** undefined for an empty tree (P_INVALID). */
  root: number | undefined;
}

export interface MetaPage {
  /** 0 or 1: the meta page; "sync": the synced copy in the second half of page 0. */
  which: 0 | 1 | "sync";
  magic: number;
  version: number;
  psize: number;
  mapsize: number;
  free: DbRecord;
  main: DbRecord;
  lastPg: number;
  txnid: number;
}

export type HeaderCheck =
  | { ok: true; size: number; psize: number; newest: MetaPage; metas: MetaPage[] }
  | { ok: false; size: number; problem: string };

/** A u64 as a number; Infinity when it does not fit (never a valid page number or count). */
function u64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}

function dbRecord(buffer: Buffer, at: number): DbRecord {
  const root = buffer.readBigUInt64LE(at + 40);
  return {
    flags: buffer.readUInt16LE(at + 4),
    depth: buffer.readUInt16LE(at + 6),
    branchPages: u64(buffer, at + 8),
    leafPages: u64(buffer, at + 16),
    overflowPages: u64(buffer, at + 24),
    entries: u64(buffer, at + 32),
    root: root === P_INVALID ? undefined : u64(buffer, at + 40),
  };
}

/** The MDB_meta at `at` in `buffer` (which must hold META_SIZE bytes from there). */
export function parseMeta(buffer: Buffer, at: number, which: MetaPage["which"]): MetaPage {
  return {
    which,
    magic: buffer.readUInt32LE(at),
    version: buffer.readUInt32LE(at + 4),
    mapsize: u64(buffer, at + 16),
    psize: buffer.readUInt32LE(at + 24),
    free: dbRecord(buffer, at + 24),
    main: dbRecord(buffer, at + 24 + DB_SIZE),
    lastPg: u64(buffer, at + 120),
    txnid: u64(buffer, at + 128),
  };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

const metaName = (which: MetaPage["which"]) =>
  which === "sync" ? "the synced copy of the meta page" : `meta page ${which}`;

/** What is wrong with one meta page on its own (page numbers against its own last page). */
function metaProblem(meta: MetaPage, psize: number): string | undefined {
  const name = metaName(meta.which);
  if (meta.which !== "sync" && meta.magic !== MDB_MAGIC)
    return `${name} has no LMDB header (magic 0x${meta.magic.toString(16)}, not 0x${MDB_MAGIC.toString(16)})`;
  if (meta.which !== "sync" && (meta.version & 0xffff) !== MDB_DATA_VERSION)
    return `${name} is LMDB data version ${meta.version & 0xffff}, not ${MDB_DATA_VERSION}`;
  if (meta.psize !== psize) return `${name} has page size ${meta.psize}, not ${psize}`;
  if (!Number.isFinite(meta.lastPg) || meta.lastPg < 1)
    return `${name} has an impossible last page number (${meta.lastPg})`;
  if (!Number.isFinite(meta.txnid)) return `${name} has an impossible transaction id`;
  for (const [label, db] of [
    ["free-space", meta.free],
    ["main", meta.main],
  ] as const) {
    if (db.root !== undefined && (db.root < 2 || db.root > meta.lastPg))
      return `${name}: the ${label} database's root page ${db.root} is outside pages 2 to ${meta.lastPg}`;
    const pages = db.branchPages + db.leafPages + db.overflowPages;
    if (!(pages <= meta.lastPg + 1))
      return `${name}: the ${label} database claims ${pages} pages, more than the file's ${meta.lastPg + 1}`;
    if (db.depth > MAX_DEPTH) return `${name}: the ${label} database claims a depth of ${db.depth}`;
    if (db.root === undefined && pages !== 0)
      return `${name}: the ${label} database is empty but claims ${pages} pages`;
  }
  return undefined;
}

/**
 * Checks the data file's header as LMDB reads it when opening (mdb_env_read_header): both meta
 * pages (P_META, magic, version, one page size), and against the newest one (the highest txnid,
 * as mdb_pick_meta takes it) the file's length: a file shorter than (mm_last_pg + 1) * mm_psize
 * is truncated, and the binding would fault on the missing pages.
 */
export function checkHeader(file: string): HeaderCheck {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { ok: false, size, problem: "data.mdb is empty (0 bytes)" };
    const first = readAt(fd, 0, PAGEHDRSZ + META_SIZE);
    if (first.length < PAGEHDRSZ + META_SIZE)
      return {
        ok: false,
        size,
        problem: `data.mdb is truncated to ${size} bytes, shorter than LMDB's header`,
      };
    if (!(first.readUInt16LE(18) & P_META))
      return { ok: false, size, problem: "data.mdb has no LMDB header (page 0 is not a meta page)" };
    const meta0 = parseMeta(first, PAGEHDRSZ, 0);
    const psize = meta0.psize;
    if (meta0.magic !== MDB_MAGIC)
      return { ok: false, size, problem: `data.mdb: ${metaProblem(meta0, psize)}` };
    if (psize < MIN_PAGESIZE || psize > MAX_PAGESIZE || (psize & (psize - 1)) !== 0)
      return { ok: false, size, problem: `data.mdb has an invalid page size (${psize})` };
    if (size < 2 * psize)
      return {
        ok: false,
        size,
        problem: `data.mdb is truncated to ${size} bytes, shorter than its two meta pages (${2 * psize} bytes)`,
      };
    const second = readAt(fd, psize, PAGEHDRSZ + META_SIZE);
    if (!(second.readUInt16LE(18) & P_META))
      return { ok: false, size, problem: "data.mdb: page 1 is not a meta page" };
    const meta1 = parseMeta(second, PAGEHDRSZ, 1);
    const sync = parseMeta(readAt(fd, psize / 2, PAGEHDRSZ + META_SIZE), PAGEHDRSZ, "sync");
    for (const meta of [meta0, meta1]) {
      const problem = metaProblem(meta, psize);
      if (problem) return { ok: false, size, problem: `data.mdb: ${problem}` };
    }
    const metas = [meta0, meta1];
    // mdb_pick_meta: a->mm_txnid >= b->mm_txnid ? a : b.
    const newest = meta0.txnid >= meta1.txnid ? meta0 : meta1;
    if (sync.txnid !== 0) {
      const problem =
        metaProblem(sync, psize) ??
        (sync.txnid > newest.txnid
          ? `the synced copy of the meta page is newer (txn ${sync.txnid}) than both meta pages (txn ${newest.txnid})`
          : sync.lastPg > newest.lastPg
            ? `the synced copy of the meta page ends at page ${sync.lastPg}, past the newest meta page's ${newest.lastPg}`
            : undefined);
      if (problem) return { ok: false, size, problem: `data.mdb: ${problem}` };
      metas.push(sync);
    }
    const needed = (newest.lastPg + 1) * psize;
    if (size < needed)
      return {
        ok: false,
        size,
        problem: `data.mdb is truncated: ${size} bytes, but its last transaction (${newest.txnid}) uses ${newest.lastPg + 1} pages of ${psize} bytes (${needed} bytes)`,
      };
    return { ok: true, size, psize, newest, metas };
  } finally {
    closeSync(fd);
  }
}

export interface TreeCheck {
  problem?: string;
  /** Names of the sub-databases the main database lists. */
  databases: string[];
  /** Root page of each tree reached: "free-space", "main" and each sub-database by name. */
  roots: Record<string, number>;
  /** Pages reached from the newest meta page (B-tree and overflow pages). */
  pages: number;
}

class Damage extends Error {}

/**
 * Walks every tree the newest meta page reaches (the free-space database, the main database and
 * each sub-database) and checks what the native code would follow blindly: page numbers within
 * the file, page headers naming their own page and kind, node offsets and sizes within their
 * page, overflow runs within the file, each page reached once, leaves at the tree's depth, page
 * and entry counts equal to the tree's record, and every free-list entry naming pages inside the
 * file and outside the live trees (a write would otherwise be handed a page that is not free;
 * a garbage free list faults the binding on the next write). The free list's records are the
 * IDLs mdb_page_alloc reads: idl[0] entries follow, a positive entry is a page number, a negative
 * one -n is a run of n pages starting at the next entry, a zero is an emptied slot.
 */
export function checkTrees(file: string, header: Extract<HeaderCheck, { ok: true }>): TreeCheck {
  const { psize, newest, size } = header;
  const lastPg = newest.lastPg;
  const fd = openSync(file, "r");
  const live = new Set<number>();
  const databases: string[] = [];
  const roots: Record<string, number> = {};
  const freePages: number[] = [];
  const page = (pgno: number, what: string): Buffer => {
    if (!(pgno >= 2 && pgno <= lastPg))
      throw new Damage(`${what} points to page ${pgno}, outside pages 2 to ${lastPg}`);
    if ((pgno + 1) * psize > size)
      throw new Damage(`${what} points to page ${pgno}, past the end of the file`);
    if (live.has(pgno)) throw new Damage(`page ${pgno} is reached twice (${what})`);
    live.add(pgno);
    const buffer = readAt(fd, pgno * psize, psize);
    if (buffer.length < psize) throw new Damage(`page ${pgno} is past the end of the file`);
    if (u64(buffer, 0) !== pgno)
      throw new Damage(`page ${pgno} does not carry its own page number (${what})`);
    return buffer;
  };
  /** The data of a leaf node, from its page or its overflow pages. */
  const nodeData = (p: Buffer, node: number, pgno: number, counts: { overflow: number }): Buffer => {
    const flags = p.readUInt16LE(node + 4);
    const ksize = p.readUInt16LE(node + 6);
    const dsize = p.readUInt16LE(node) | (p.readUInt16LE(node + 2) << 16);
    const dataAt = node + NODESIZE + ksize;
    if (!(flags & F_BIGDATA)) {
      if (dataAt + dsize > psize) throw new Damage(`a node in page ${pgno} runs past the page`);
      return p.subarray(dataAt, dataAt + dsize);
    }
    if (dataAt + OVPAGE_SIZE > psize) throw new Damage(`a node in page ${pgno} runs past the page`);
    const first = u64(p, dataAt);
    const count = u64(p, dataAt + 16);
    if (!(count >= 1 && first + count - 1 <= lastPg && (first + count) * psize <= size))
      throw new Damage(
        `a value in page ${pgno} points to ${count} overflow pages from ${first}, past the file`,
      );
    if (dsize > count * psize - PAGEHDRSZ)
      throw new Damage(`a value in page ${pgno} is longer than its ${count} overflow pages`);
    const head = page(first, `a value in page ${pgno}`);
    if (!(head.readUInt16LE(18) & P_OVERFLOW) || head.readUInt32LE(20) !== count)
      throw new Damage(
        `page ${first} is not the overflow run of ${count} pages a value in page ${pgno} points to`,
      );
    for (let i = 1; i < count; i++) {
      if (live.has(first + i)) throw new Damage(`page ${first + i} is reached twice (an overflow run)`);
      live.add(first + i);
    }
    counts.overflow += count;
    return count === 1
      ? head.subarray(PAGEHDRSZ, PAGEHDRSZ + dsize)
      : readAt(fd, first * psize + PAGEHDRSZ, dsize);
  };
  const walk = (
    name: string,
    db: DbRecord,
    onLeaf: (key: Buffer, flags: number, data: () => Buffer) => void,
  ) => {
    if (db.root === undefined) return;
    roots[name] = db.root;
    const counts = { branch: 0, leaf: 0, overflow: 0, entries: 0 };
    const visit = (pgno: number, level: number, what: string) => {
      if (level > MAX_DEPTH) throw new Damage(`the ${name} database is deeper than ${MAX_DEPTH} levels`);
      const p = page(pgno, what);
      const kind = p.readUInt16LE(18) & (P_BRANCH | P_LEAF | P_OVERFLOW | P_META | P_LEAF2);
      const lower = p.readUInt16LE(20);
      const upper = p.readUInt16LE(22);
      if (lower % 2 !== 0 || lower > upper || upper > psize - PAGEHDRSZ)
        throw new Damage(`page ${pgno} of the ${name} database has impossible free-space bounds`);
      const n = lower >> 1;
      const nodes: number[] = [];
      for (let i = 0; i < n; i++) {
        const ptr = p.readUInt16LE(PAGEHDRSZ + 2 * i);
        const node = PAGEHDRSZ + ptr;
        if (ptr < upper || node + NODESIZE > psize)
          throw new Damage(`a node of page ${pgno} is outside the page`);
        if (node + NODESIZE + p.readUInt16LE(node + 6) > psize)
          throw new Damage(`a key in page ${pgno} runs past the page`);
        nodes.push(node);
      }
      if (kind === P_BRANCH) {
        if (level >= db.depth) throw new Damage(`the ${name} database has a branch page below its depth`);
        if (n === 0) throw new Damage(`branch page ${pgno} of the ${name} database is empty`);
        counts.branch++;
        for (const node of nodes) {
          const child =
            p.readUInt16LE(node) + p.readUInt16LE(node + 2) * 0x10000 + p.readUInt16LE(node + 4) * 2 ** 32;
          visit(child, level + 1, `branch page ${pgno}`);
        }
      } else if (kind === P_LEAF) {
        if (level !== db.depth) throw new Damage(`the ${name} database has a leaf at the wrong depth`);
        counts.leaf++;
        for (const node of nodes) {
          counts.entries++;
          const flags = p.readUInt16LE(node + 4);
          const key = p.subarray(node + NODESIZE, node + NODESIZE + p.readUInt16LE(node + 6));
          onLeaf(key, flags, () => nodeData(p, node, pgno, counts));
        }
      } else {
        throw new Damage(
          `page ${pgno} of the ${name} database is not a B-tree page (flags 0x${kind.toString(16)})`,
        );
      }
    };
    visit(db.root, 1, `the ${name} database's root`);
    if (
      counts.branch !== db.branchPages ||
      counts.leaf !== db.leafPages ||
      counts.overflow !== db.overflowPages ||
      counts.entries !== db.entries
    )
      throw new Damage(
        `the ${name} database holds ${counts.branch}/${counts.leaf}/${counts.overflow} branch/leaf/overflow pages and ${counts.entries} entries, its record says ${db.branchPages}/${db.leafPages}/${db.overflowPages} and ${db.entries}`,
      );
  };
  try {
    walk("free-space", newest.free, (key, _flags, data) => {
      if (key.length !== 8) throw new Damage("a free-space record has a key that is not a transaction id");
      const idl = data();
      if (idl.length < 8) throw new Damage("a free-space record is shorter than its count");
      const count = u64(idl, 0);
      if (!((count + 1) * 8 <= idl.length))
        throw new Damage(`a free-space record claims ${count} entries but holds ${(idl.length >> 3) - 1}`);
      for (let i = 1; i <= count; i++) {
        const entry = idl.readBigInt64LE(i * 8);
        if (entry === 0n) continue;
        let first = Number(entry);
        let run = 1;
        if (entry < 0n) {
          run = -Number(entry);
          i++;
          if (i > count) throw new Damage("a free-space record ends inside a run of pages");
          first = u64(idl, i * 8);
        }
        if (!(first >= 2 && first + run - 1 <= lastPg))
          throw new Damage(
            `the free-space list names pages ${first} to ${first + run - 1}, outside pages 2 to ${lastPg}`,
          );
        for (let k = 0; k < run && freePages.length < 1_000_000; k++) freePages.push(first + k);
      }
    });
    const subs: [string, DbRecord][] = [];
    walk("main", newest.main, (key, flags, data) => {
      if (flags & F_SUBDATA) {
        const record = data();
        if (record.length !== DB_SIZE)
          throw new Damage("a sub-database record in the main database has the wrong size");
        const name = key.toString("utf8").replace(/\0+$/, "");
        databases.push(name);
        if (!(flags & F_DUPDATA)) subs.push([name, dbRecord(record, 0)]);
      } else data();
    });
    for (const [name, db] of subs) {
      if (db.depth > MAX_DEPTH) throw new Damage(`the ${name} database claims a depth of ${db.depth}`);
      walk(name, db, (_key, flags, data) => {
        // Sub-pages and sub-databases of duplicates (dupSort) are not used by infra's databases.
        if (!(flags & F_DUPDATA)) data();
      });
    }
    for (const pgno of freePages)
      if (live.has(pgno)) throw new Damage(`the free-space list names page ${pgno}, which is in use`);
    return { databases, roots, pages: live.size };
  } catch (error) {
    if (error instanceof Damage)
      return { problem: `data.mdb: ${error.message}`, databases, roots, pages: live.size };
    // A read past what the file holds (readUInt16LE on a short buffer): damage too.
    if (error instanceof RangeError)
      return { problem: `data.mdb: ${error.message}`, databases, roots, pages: live.size };
    throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Header and trees together, as one answer. A writer committing while the trees are read can
 * reuse pages under a reader that holds no LMDB read transaction, so a problem counts only when
 * the newest transaction did not change during the walk (then no page it reaches was rewritten);
 * otherwise the walk is repeated, and after `attempts` changing walks it is inconclusive
 * (undefined problem): something is committing to this environment, so LMDB can read it.
 */
export function checkDataFile(file: string, attempts = 3): { problem?: string; databases?: string[] } {
  let previous: string | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const header = checkHeader(file);
    if (!header.ok) {
      // A header read racing a commit can mix two meta pages: the same answer twice is damage.
      if (previous === header.problem) return { problem: header.problem };
      previous = header.problem;
      continue;
    }
    const trees = checkTrees(file, header);
    if (!trees.problem) return { databases: trees.databases };
    const after = checkHeader(file);
    if (after.ok && after.newest.txnid === header.newest.txnid && after.size >= header.size)
      return { problem: trees.problem };
    previous = undefined;
  }
  return previous === undefined ? {} : { problem: previous };
}
