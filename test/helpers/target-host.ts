// Deploy targets for tests: real sshd machines on loopback, each in its own mount namespace with
// its own Nix store state. The harness lives in bench/target-harness.ts, so that the deploy
// benchmark (compiled to dist/bench) runs on the very same machines; see the comment there.
export {
  createHarness,
  type TargetHarness,
  type TargetHost,
  targetRoot,
} from "../../bench/target-harness.js";
