// colmena and deploy-rs take several targets per call: the changed targets of each flake go to
// one call of its tool, run in the flake's folder. Whether each target then runs its new
// toplevel is asked again, target by target: the tools report a batch, infra reports hosts.
// Main thread.
import { colmenaProblem, runColmena } from "./backends/colmena.js";
import { deployRsGoalFlags, deployRsTarget, runDeployRs } from "./backends/deploy-rs.js";
import { askTarget, type Batched, type DeployEnv } from "./env.js";
import { currentOf, isUpToDate } from "./remote.js";
import { deployError } from "./target-run.js";
import type { DeployHostResult } from "./types.js";

export async function runBatches(env: DeployEnv, batched: Batched[]): Promise<Map<string, DeployHostResult>> {
  const out = new Map<string, DeployHostResult>();
  const groups = new Map<string, Batched[]>();
  for (const b of batched) {
    const key = `${b.run.address.backend}\0${b.run.target.flakeDir}`;
    groups.set(key, [...(groups.get(key) ?? []), b]);
  }
  for (const group of groups.values()) {
    const { backend } = group[0]!.run.address;
    const { flakeDir } = group[0]!.run.target;
    const fail = (b: Batched, message: string, hints: string[] = [], output: string | null = null) =>
      out.set(
        b.prepared.target.name,
        env.finish(b.prepared, "failed", b.started, {
          current: currentOf(b.run.target.kind, env.goal, b.run.state),
          error: deployError("backend", message, { hints, output }),
        }),
      );
    const ready: { b: Batched; spec: string }[] = [];
    for (const b of group) {
      const node = b.run.target.attrName;
      const problem =
        backend === "colmena"
          ? colmenaProblem(node)
          : deployRsTarget(node) === undefined
            ? `deploy-rs could not be given '${node}' as a flake fragment`
            : undefined;
      if (problem) fail(b, problem, ["Use the ssh backend for this target."]);
      else if (backend === "deploy-rs" && deployRsGoalFlags(env.goal) === undefined)
        fail(b, "deploy-rs has no test goal (it switches, or with --boot sets the next boot)");
      else ready.push({ b, spec: backend === "colmena" ? node : deployRsTarget(node)! });
    }
    if (ready.length === 0) continue;
    for (const { b } of ready) env.session.step(b.prepared.target.name, "activating");
    const specs = ready.map((r) => r.spec);
    const ran =
      backend === "colmena"
        ? await runColmena(flakeDir, env.goal, specs)
        : await runDeployRs(flakeDir, env.goal, specs);
    // The tool's exit code speaks for the batch; each target's own state speaks for it.
    await Promise.all(
      ready.map(async ({ b }) => {
        const current = currentOf(b.run.target.kind, env.goal, b.run.state);
        if (env.goal === "dry-activate") {
          if (ran.ok)
            out.set(b.prepared.target.name, env.finish(b.prepared, "deployed", b.started, { current }));
          else fail(b, ran.message, [], ran.output);
          return;
        }
        const after = await askTarget(env.session, env.ask, b.run);
        if (after.error)
          return fail(b, `${ran.message}; asking the target afterwards failed: ${after.error.message}`);
        if (isUpToDate(b.run.target.kind, env.goal, after.state, b.run.next)) {
          env.running.set(b.prepared.target.name, after.state.running);
          out.set(b.prepared.target.name, env.finish(b.prepared, "deployed", b.started, { current }));
        } else
          fail(
            b,
            ran.ok ? `${backend} succeeded but the target does not run ${b.run.next}` : ran.message,
            ran.ok
              ? [`${backend} built another toplevel than infra evaluated: are both looking at the same tree?`]
              : [],
            ran.output,
          );
      }),
    );
  }
  return out;
}
