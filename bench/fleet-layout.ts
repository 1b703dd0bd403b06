// The shape of a generated benchmark fleet: which host has which role and programs, which roles
// import which shared modules. Pure, so the benchmarks can say in advance exactly which hosts an
// edit must re-evaluate, and check that infra re-evaluated those and no others.

export interface FleetOptions {
  /** Number of NixOS hosts (h000, h001, …). */
  hosts: number;
  /** Number of roles; host i has role i mod roles. */
  roles: number;
  /** Number of shared modules (modules/shared-<i>.nix), imported by the roles. */
  sharedModules: number;
  /** Number of programs (programs/prog-<i>/), each with a config file read by builtins.readFile. */
  programs: number;
  /**
   * Extra evaluation work per host, in milliseconds of Nix CPU time (roughly: see
   * FOLD_ELEMENTS_PER_MS). 0 leaves a host at the module system's own cost (~40 ms).
   */
  weight: number;
  /** Whether one host (the last) interpolates `self`, so it depends on every tracked file. */
  selfHost: boolean;
}

export const DEFAULT_FLEET: FleetOptions = {
  hosts: 200,
  roles: 8,
  sharedModules: 24,
  programs: 12,
  weight: 0,
  selfHost: false,
};

/**
 * `builtins.foldl'` steps per millisecond of Nix 2.8 CPU time, measured on a 2-core AMD EPYC VM
 * (~0.41 µs per step of the fold in fleet.nix). Only a rough scale: the e2e benchmark measures
 * real hosts and re-calibrates `weight` to hit its per-host target.
 */
export const FOLD_ELEMENTS_PER_MS = 2400;

/** Shared modules each role imports. */
export const SHARED_PER_ROLE = 4;

export function hostName(i: number): string {
  return `h${String(i).padStart(3, "0")}`;
}

export function hostNames(options: Pick<FleetOptions, "hosts">): string[] {
  return Array.from({ length: options.hosts }, (_, i) => hostName(i));
}

export function roleOf(host: number, options: Pick<FleetOptions, "roles">): number {
  return host % options.roles;
}

/** Shared modules role `role` imports: a window of SHARED_PER_ROLE, overlapping its neighbours'. */
export function sharedOfRole(role: number, options: Pick<FleetOptions, "sharedModules">): number[] {
  const count = Math.min(SHARED_PER_ROLE, options.sharedModules);
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add((role * (SHARED_PER_ROLE - 1) + j) % options.sharedModules);
  return [...out].sort((a, b) => a - b);
}

/** Programs host `host` imports: one for every third host, two for the others. */
export function programsOf(host: number, options: Pick<FleetOptions, "programs">): number[] {
  if (options.programs === 0) return [];
  const first = host % options.programs;
  const second = (host * 7 + 3) % options.programs;
  return host % 3 === 0 || second === first ? [first] : [first, second].sort((a, b) => a - b);
}

/** Index of the host that interpolates `self`, if any. */
export function selfHostIndex(options: Pick<FleetOptions, "hosts" | "selfHost">): number | undefined {
  return options.selfHost && options.hosts > 0 ? options.hosts - 1 : undefined;
}

/** Hosts whose evaluation reads shared module `shared` (through their role), plus the self host. */
export function hostsUsingShared(shared: number, options: FleetOptions): string[] {
  const self = selfHostIndex(options);
  return hostNames(options).filter(
    (_, i) => i === self || sharedOfRole(roleOf(i, options), options).includes(shared),
  );
}

/** Hosts an edit of host `host`'s own files re-evaluates: itself, plus the self host. */
export function hostsUsingHost(host: number, options: FleetOptions): string[] {
  const self = selfHostIndex(options);
  return hostNames(options).filter((_, i) => i === host || i === self);
}

/** Fold length that costs about `weightMs` of Nix CPU time. */
export function foldLength(weightMs: number): number {
  return Math.max(0, Math.round(weightMs * FOLD_ELEMENTS_PER_MS));
}
