// The secrets gate of `infra deploy`, on the real loopback targets: a host whose secret would
// not decrypt at activation is refused before anything reaches it, the others deploy; with
// --skip-secrets-check it deploys too, and infra says so. The secrets are real age files,
// encrypted by the age binary for the targets' own sshd host keys (as agenix does).
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byName, type DeployFleet, startDeployFleet } from "../helpers/deploy-fleet.js";
import { age, requireTools } from "../unit/engine/secrets/helpers/tools.js";

const CANARY = "INFRA-PLAINTEXT-CANARY-7f3e";
let fleet: DeployFleet;
const HOSTS = ["web1", "web2", "web3"];

beforeAll(async () => {
  requireTools();
  fleet = await startDeployFleet();
  const { repo, t } = fleet;
  // What `ssh-keyscan` would have given: each target's real host key, where agenix fleets keep it.
  for (const name of HOSTS) {
    mkdirSync(repo.path(`hosts/${name}`), { recursive: true });
    writeFileSync(repo.path(`hosts/${name}/ssh_host_ed25519_key.pub`), `${t[name]!.hostKey}\n`);
  }
  mkdirSync(repo.path("secrets"), { recursive: true });
  // api-token is for web1 and web2, but was encrypted before web2 existed: only web1 can open it.
  writeFileSync(repo.path("secrets/api-token.age"), age(["-a", "-r", t.web1!.hostKey], `${CANARY} api\n`));
  writeFileSync(repo.path("secrets/db.age"), age(["-a", "-r", t.web3!.hostKey], `${CANARY} db\n`));
  writeFileSync(
    repo.path("secrets/secrets.nix"),
    `{\n  "api-token.age".publicKeys = [ "${t.web1!.hostKey}" "${t.web2!.hostKey}" ];\n  "db.age".publicKeys = [ "${t.web3!.hostKey}" ];\n}\n`,
  );
  const declare = (name: string, secret: string, file: string) =>
    repo.write(
      `hosts/${name}/default.nix`,
      repo
        .read(`hosts/${name}/default.nix`)
        .replace(/}\s*$/, `  age.secrets.${secret}.file = ../../secrets/${file};\n}\n`),
    );
  declare("web1", "api-token", "api-token.age");
  declare("web2", "api-token", "api-token.age");
  declare("web3", "db", "db.age");
  repo.commit("agenix secrets for the web hosts");
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("infra deploy's secrets gate", () => {
  it("refuses exactly the host whose secret would fail, and deploys the others", async () => {
    const check = await fleet.infra(["secrets", "--json", ...HOSTS]);
    expect(check.exitCode).toBe(1);
    expect(
      check.json.results.map((r: { host: string; status: string }) => `${r.host} ${r.status}`).sort(),
    ).toEqual(["web1 ok", "web2 not-for-host", "web3 ok"]);

    const r = await fleet.infra(["deploy", ...HOSTS, "--json"]);
    expect(r.exitCode, r.stderr).toBe(1);
    const hosts = byName(r.json);
    expect(hosts.web1, JSON.stringify(hosts.web1)).toMatchObject({ status: "deployed" });
    expect(hosts.web3).toMatchObject({ status: "deployed" });
    expect(hosts.web2).toMatchObject({ status: "skipped" });
    const error = hosts.web2!.error as { message: string; hints: string[] };
    expect(error.message).toMatch(/api-token \(secrets\/api-token\.age\): not-for-host/);
    expect(error.message).toMatch(/agenix --rekey/);
    expect(error.hints.join(" ")).toMatch(/--skip-secrets-check/);
    // Nothing reached web2: it runs nothing, no activation happened there.
    expect(fleet.t.web2!.link("/run/current-system")).toBeNull();
    expect(fleet.t.web2!.activations()).toEqual([]);
    expect(fleet.t.web1!.link("/run/current-system")).toBe(fleet.toplevel("web1"));
    expect(fleet.t.web3!.link("/run/current-system")).toBe(fleet.toplevel("web3"));

    const human = await fleet.infra(["deploy", "web2"]);
    expect(human.exitCode).toBe(1);
    expect(`${human.stdout}${human.stderr}`).toMatch(/web2.*secrets would fail at activation/s);
    for (const text of [r.stdout, r.stderr, human.stdout, human.stderr, check.stdout])
      expect(text.includes(CANARY)).toBe(false);
  });

  it("with --skip-secrets-check deploys it too, and says so", async () => {
    const r = await fleet.infra(["deploy", "web2", "--skip-secrets-check", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(byName(r.json).web2).toMatchObject({ status: "deployed" });
    expect(r.stderr).toMatch(/warning: --skip-secrets-check: the secrets check did not run for web2/);
    expect(fleet.t.web2!.link("/run/current-system")).toBe(fleet.toplevel("web2"));
  });

  it("once the secret is re-encrypted for web2, the gate lets it through", async () => {
    const { repo, t } = fleet;
    writeFileSync(
      repo.path("secrets/api-token.age"),
      age(["-a", "-r", t.web1!.hostKey, "-r", t.web2!.hostKey], `${CANARY} api\n`),
    );
    fleet.touch("web2", "web2 after the rekey");
    repo.commit("agenix --rekey");
    const r = await fleet.infra(["deploy", "web2", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(byName(r.json).web2).toMatchObject({ status: "deployed" });
    expect(r.stderr).not.toMatch(/skip-secrets-check/);
  });
});
