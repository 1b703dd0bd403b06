// infra's own backend: copy the closure, set the profile, activate; on a failed activation put
// the profile back on the generation it was on and activate that again, so the target ends as it
// was. Main thread.
import { tail } from "../build.js";
import { copyClosure } from "../copy.js";
import { ACTIVATE_SCRIPT, ROLLBACK_SCRIPT } from "../remote.js";
import type { DeploySession } from "../session.js";
import { type ApplyOutcome, deployError, runningAfter, type TargetRun } from "../target-run.js";

/** ACTIVATE_SCRIPT's exit code when the profile could not be set (nothing was activated). */
const PROFILE_FAILED = 90;
/** ROLLBACK_SCRIPT's exit code when there was nothing to go back to. */
const NOTHING_BEFORE = 3;

export async function applySsh(session: DeploySession, run: TargetRun, copy: boolean): Promise<ApplyOutcome> {
  const { target, address, goal, next, state } = run;
  const name = target.name;
  if (copy) {
    session.step(name, "copying", { done: 0, expected: 0 });
    const copied = await copyClosure(session, name, address, next);
    if (!copied.ok)
      return {
        ok: false,
        rolledBack: false,
        running: state.running,
        error: deployError("copy", copied.message, { output: copied.output }),
      };
  }

  session.step(name, "activating");
  // Not cancelled by Ctrl-C, and left to finish if infra dies: a half-done activation is worse.
  const act = await session.remote(address, ACTIVATE_SCRIPT, [target.kind, goal, address.profile, next], {
    guarded: false,
  });
  if (!act.ran)
    return {
      ok: false,
      rolledBack: false,
      running: null,
      error: deployError("activate", `the connection failed during the activation: ${act.message}`, {
        hints: [
          "The target's state is not known: check it (readlink /run/current-system) before deploying again.",
        ],
      }),
    };
  if (act.exitCode === 0) return { ok: true, rolledBack: false, running: runningAfter(run), error: null };
  const output = tail(act.stdout);
  if (act.exitCode === PROFILE_FAILED)
    return {
      ok: false,
      rolledBack: false,
      running: state.running,
      error: deployError("activate", `the profile ${address.profile} could not be set on ${address.host}`, {
        output,
      }),
    };
  const failed = `activation failed (exit ${act.exitCode})`;
  // A dry activation changes nothing, so there is nothing to undo.
  if (goal === "dry-activate")
    return {
      ok: false,
      rolledBack: false,
      running: state.running,
      error: deployError("activate", failed, { output }),
    };

  session.step(name, "rolling back");
  const back = await session.remote(
    address,
    ROLLBACK_SCRIPT,
    [
      target.kind,
      goal,
      address.profile,
      state.generation === null ? "-" : String(state.generation),
      state.profile ?? "-",
      state.running ?? "-",
    ],
    { guarded: false },
  );
  const rolledBack = back.ran && back.exitCode === 0;
  let hint: string;
  if (rolledBack)
    hint =
      state.generation === null
        ? `rolled back: the profile points at ${state.profile} again, which was activated again`
        : `rolled back: the profile is on generation ${state.generation} again (${state.profile ?? "none"}), activated again`;
  else if (back.ran && back.exitCode === NOTHING_BEFORE)
    hint = `not rolled back: ${back.stdout.trim().split("\n").pop() ?? "nothing ran before"}`;
  else
    hint = `rolling back failed too: ${back.ran ? `exit ${back.exitCode}: ${tail(back.stdout, 5)}` : back.message}`;
  return {
    ok: false,
    rolledBack,
    running: rolledBack ? state.running : null,
    error: deployError("activate", failed, { output, hints: [hint] }),
  };
}
