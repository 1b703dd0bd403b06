// A small fleet as the engine would hand it to graph/: three evaluated hosts sharing a role and
// modules, one never evaluated, a second flake with its own lock, and the files they read.
import type { GraphDep, GraphInput, GraphTarget } from "../../../graph/types.js";

const file = (path: string): GraphDep => ({ kind: "file", path });
const dir = (path: string): GraphDep => ({ kind: "dir", path });
const type = (path: string): GraphDep => ({ kind: "type", path });
const input = (path: string): GraphDep => ({ kind: "input", path });

const web1: GraphTarget = {
  id: "t-web1",
  name: "web1",
  kind: "nixos",
  flake: ".",
  status: "ok",
  drvPath: "/nix/store/aaaa-nixos-system-web1.drv",
  deps: [
    file("flake.nix"),
    dir("hosts"),
    file("hosts/web1/default.nix"),
    file("hosts/web1/hardware.nix"),
    type("hosts/web1/hardware.nix/default.nix"),
    file("roles/web.nix"),
    file("modules/base.nix"),
    file("modules/services/nginx.nix"),
    file("secrets/api-token.age"),
    input("flake.lock#root"),
    input("flake.lock#nixpkgs"),
  ],
};

const web2: GraphTarget = {
  id: "t-web2",
  name: "web2",
  kind: "nixos",
  flake: ".",
  status: "ok",
  drvPath: "/nix/store/bbbb-nixos-system-web2.drv",
  deps: [
    file("flake.nix"),
    dir("hosts"),
    file("hosts/web2/default.nix"),
    file("roles/web.nix"),
    file("modules/base.nix"),
    file("modules/services/nginx.nix"),
    input("flake.lock#root"),
    input("flake.lock#nixpkgs"),
    { kind: "tree", path: "." },
  ],
};

const db1: GraphTarget = {
  id: "t-db1",
  name: "db1",
  kind: "nixos",
  flake: ".",
  status: "failed",
  deps: [
    file("flake.nix"),
    dir("hosts"),
    file("hosts/db1/default.nix"),
    file("modules/base.nix"),
    file("modules/services/postgresql.nix"),
    dir("modules/extra"),
    file("secrets/db-password.age"),
    input("flake.lock#root"),
    { kind: "git", path: "HEAD" },
  ],
};

const alpha: GraphTarget = {
  id: "t-alpha",
  name: "flake-b#alpha",
  kind: "home",
  flake: "flake-b",
  status: "ok",
  drvPath: "/nix/store/cccc-home-manager-generation.drv",
  deps: [
    file("flake-b/flake.nix"),
    file("flake-b/home.nix"),
    file("modules/base.nix"),
    { kind: "link", path: "flake-b/current" },
    input("flake-b/flake.lock#root"),
    input("flake-b/flake.lock#nixpkgs"),
    input("flake-b/flake.lock#netlib"),
  ],
};

const macbook: GraphTarget = {
  id: "t-macbook",
  name: "macbook",
  kind: "darwin",
  flake: ".",
  status: "unknown",
  deps: [],
};

/** File contents for the static import scan. */
export const SAMPLE_FILES: Record<string, string> = {
  "flake.nix": "{ outputs = { self }: { }; }",
  "hosts/web1/default.nix": "{ imports = [ ./hardware.nix ../../roles/web.nix ]; }",
  "hosts/web1/hardware.nix": "{ }",
  "hosts/web2/default.nix": "{ imports = [ ../../roles/web.nix ]; }",
  "hosts/db1/default.nix": "{ imports = [ ../../modules/services/postgresql.nix ]; }",
  "roles/web.nix":
    "{ imports = [ ../modules/base.nix ../modules/services/nginx.nix ../modules/monitoring ]; }",
  "modules/base.nix": "{ }",
  // A layering violation: a shared module importing a host's file.
  "modules/services/nginx.nix": "{ imports = [ ../../hosts/web1/hardware.nix ]; }",
  "modules/services/postgresql.nix": "{ }",
  "modules/monitoring/default.nix": "{ }",
  "modules/unused.nix": "{ }",
  "flake-b/flake.nix": "{ outputs = _: { }; }",
  "flake-b/home.nix": "{ imports = [ ../modules/base.nix ]; }",
};

export function sampleInput(): GraphInput {
  return {
    repoDir: "/nonexistent/sample-repo",
    targets: structuredClone([web1, web2, db1, alpha, macbook]),
    trackedFiles: [
      ...Object.keys(SAMPLE_FILES),
      "README.md",
      "secrets/api-token.age",
      "secrets/db-password.age",
      "flake.lock",
    ],
  };
}

/** Reads SAMPLE_FILES instead of a repo on disk. */
export function readSample(path: string): string | undefined {
  return SAMPLE_FILES[path];
}

/** The sample plus names that need escaping in every format: quotes, backslashes, #, <, >, &. */
export function awkwardInput(): GraphInput {
  const input = sampleInput();
  input.targets.push({
    id: "t-odd",
    name: 'we"b\\1 & <co>',
    kind: "nixos",
    flake: ".",
    status: "ok",
    deps: [
      { kind: "file", path: 'odd dir/qu"ote\\back.nix' },
      { kind: "file", path: "odd dir/#hash;`tick`.nix" },
      { kind: "file", path: "odd dir/ünïcødé <x> & y.conf" },
      { kind: "file", path: "modules/base.nix" },
      { kind: "input", path: 'flake.lock#nix"pkgs' },
    ],
  });
  return input;
}
