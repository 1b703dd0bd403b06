// What the graph shows of secrets: per host, the secrets its recorded evaluation declares and the
// check's verdict for each (statuses and names only). Nothing is evaluated for it but the agenix
// rules, which are cached like a host. Main thread.
import type { StoredTrace } from "../../cache/records.js";
import type { GraphInput } from "../../graph/types.js";
import type { Target } from "../fleet/targets.js";
import type { Workspace } from "../repo/workspace.js";
import type { EngineContext } from "../run/context.js";
import { checkDeclared, declarationsOf } from "./report.js";
import type { SecretDeclaration } from "./types.js";

export async function addSecretChecks(
  ctx: EngineContext,
  ws: Workspace,
  input: GraphInput,
  traces: { target: Target; trace: StoredTrace | undefined }[],
): Promise<void> {
  const declarations: SecretDeclaration[] = [];
  for (const { target, trace } of traces) {
    if (trace === undefined || trace.evaluation.error) continue;
    declarations.push(...declarationsOf(target, trace.evaluation));
  }
  if (declarations.length === 0) return;
  const report = await checkDeclared(
    ctx,
    ws,
    traces.map((t) => t.target),
    declarations,
    [],
  );
  const byHost = new Map(input.targets.map((t) => [t.name, t]));
  const keyOf = new Map(declarations.map((d) => [`${d.host}\0${d.name}`, d.key]));
  for (const result of report.results) {
    const target = byHost.get(result.host);
    if (target === undefined) continue;
    target.secrets ??= [];
    target.secrets.push({
      name: result.name,
      backend: result.backend,
      file: result.file,
      key: keyOf.get(`${result.host}\0${result.name}`),
      status: result.status,
    });
  }
}
