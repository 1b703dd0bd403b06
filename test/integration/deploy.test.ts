// infra deploy and infra plan against real machines on loopback (test/helpers/target-host.ts):
// a real sshd per target in a root with its own Nix 2.26 store, the real ssh, nix copy and
// activation scripts. The fleet (test/helpers/deploy-fleet.ts) goes through the scenarios in
// order: each starts from what the one before left on the targets, as a real fleet would.
// deploy-targets.test.ts has the conventions, goals, home-manager, backends and bad input.
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixSpy } from "../helpers/cli.js";
import { byName, closedPort, type DeployFleet, HOSTS, startDeployFleet } from "../helpers/deploy-fleet.js";

let fleet: DeployFleet;
const infra: DeployFleet["infra"] = (args, env) => fleet.infra(args, env);
const toplevel = (name: string) => fleet.toplevel(name);
const touch = (name: string, text: string) => fleet.touch(name, text);

beforeAll(async () => {
  fleet = await startDeployFleet();
}, 900_000);

afterAll(async () => {
  await fleet?.stop();
});

describe("infra deploy on real targets", () => {
  it("deploys the six hosts cold: each runs the toplevel nix eval gives, activated with switch", async () => {
    const r = await infra(["deploy", "@fleet", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ deployed: 6, upToDate: 0, failed: 0, skipped: 0 });
    const hosts = byName(r.json);
    for (const name of HOSTS) {
      const out = toplevel(name);
      expect(hosts[name]).toMatchObject({
        status: "deployed",
        current: null,
        next: out,
        goal: "switch",
        backend: "ssh",
        rolledBack: false,
        error: null,
      });
      expect(fleet.t[name]!.link("/run/current-system")).toBe(out);
      expect(fleet.t[name]!.link("/nix/var/nix/profiles/system")).toBe(out);
      expect(fleet.t[name]!.activations()).toEqual([`switch ${out}`]);
    }
    // Where each came from: deploy-rs (its port is in sshOpts) and colmena give 127.0.0.1, the
    // rest their name.
    expect(hosts.web1!.host).toBe("root@127.0.0.1");
    expect(hosts.db2!.host).toBe(`root@127.0.0.1:${fleet.t.db2!.port}`);
    expect(hosts.web3!.host).toBe("web3");
    // Nothing reached the home-manager target, which was not asked for.
    expect(readdirSync(fleet.t.alice!.homeDir)).toEqual([]);
  });

  it("again: every host is up to date at one ssh round trip, nothing built or copied", async () => {
    const spy = nixSpy(["nix", "nix-instantiate", "nix-store", "ssh"]);
    try {
      const r = await infra(["deploy", "@fleet", "--json"], spy.env);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json.summary).toMatchObject({ deployed: 0, upToDate: 6 });
      const calls = spy.calls();
      expect(calls.filter((c) => c.startsWith("nix copy"))).toEqual([]);
      expect(calls.filter((c) => c.startsWith("nix-store"))).toEqual([]);
      // One connection each, the ask; none is kept open for a copy that will not come.
      expect(calls.filter((c) => c.startsWith("ssh "))).toHaveLength(6);
      for (const h of r.json.hosts) expect(h.durationMs).toBeLessThan(1000);
      for (const name of HOSTS) expect(fleet.t[name]!.activations()).toHaveLength(1);
    } finally {
      spy.cleanup();
    }
  });

  it("after a hardware edit, plan shows exactly that host changed with its diff, and deploy deploys exactly it", async () => {
    fleet.repo.write("hosts/web2/hardware.nix", '{\n  kernel = "6.6.1";\n}\n');
    const before = toplevel("web1");
    const plan = await infra(["plan", "@fleet", "--json"]);
    expect(plan.exitCode, plan.stderr).toBe(0);
    const planned = byName(plan.json);
    expect(
      Object.entries(planned)
        .filter(([, h]) => h.status !== "up-to-date")
        .map(([n]) => n),
    ).toEqual(["web2"]);
    expect(planned.web2).toMatchObject({
      status: "changed",
      current: fleet.t.web2!.link("/run/current-system"),
      next: toplevel("web2"),
    });
    expect(planned.web2!.packages).toContainEqual({
      name: "linux",
      before: ["6.1.0"],
      after: ["6.6.1"],
      sizeDelta: 0,
    });
    expect(typeof planned.web2!.sizeDelta).toBe("number");
    // Plan touched nothing on the target: the new closure is not in its store.
    expect(fleet.harness.hasPath(toplevel("web2"))).toBe(false);

    const r = await infra(["deploy", "@fleet", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const hosts = byName(r.json);
    expect(
      r.json.hosts
        .filter((h: { status: string }) => h.status === "deployed")
        .map((h: { name: string }) => h.name),
    ).toEqual(["web2"]);
    expect(fleet.t.web2!.link("/run/current-system")).toBe(toplevel("web2"));
    expect(fleet.t.web1!.link("/run/current-system")).toBe(before);
    expect(hosts.web2!.current).not.toBe(hosts.web2!.next);
  });

  it("a failed activation is reported with its output and rolled back; the other hosts deploy; exit 1", async () => {
    const previous = fleet.t.flaky!.link("/run/current-system")!;
    fleet.repo.write(
      "hosts/flaky/default.nix",
      fleet.repo.read("hosts/flaky/default.nix").replace("failActivation = false", "failActivation = true"),
    );
    touch("web1", "a change that deploys beside the failure");
    const r = await infra(["deploy", "@fleet", "--json"]);
    expect(r.exitCode).toBe(1);
    const hosts = byName(r.json);
    expect(hosts.flaky).toMatchObject({ status: "failed", current: previous, rolledBack: true });
    const error = hosts.flaky!.error as { stage: string; message: string; output: string; hints: string[] };
    expect(error.stage).toBe("activate");
    expect(error.message).toMatch(/activation failed \(exit 4\)/);
    expect(error.output).toMatch(/nginx\.service failed to start \(fixture\)/);
    expect(error.hints.join(" ")).toMatch(/rolled back: the profile is on generation 1 again/);
    expect(fleet.t.flaky!.link("/run/current-system")).toBe(previous);
    expect(fleet.t.flaky!.link("/nix/var/nix/profiles/system")).toBe(previous);
    // The previous generation was activated again, after the failed attempt.
    expect(fleet.t.flaky!.activations()).toEqual([`switch ${previous}`, `switch ${previous}`]);
    expect(hosts.web1).toMatchObject({ status: "deployed" });
    expect(fleet.t.web1!.link("/run/current-system")).toBe(toplevel("web1"));
    expect(r.json.summary).toMatchObject({ deployed: 1, failed: 1, upToDate: 4 });
    fleet.repo.write(
      "hosts/flaky/default.nix",
      fleet.repo.read("hosts/flaky/default.nix").replace("failActivation = true", "failActivation = false"),
    );
  });

  it("an unreachable target fails with ssh's own message within the connect timeout; the others deploy", async () => {
    const port = await closedPort();
    const saved = structuredClone(fleet.config);
    fleet.config.deploy.targets.web3 = { host: "127.0.0.1", port };
    fleet.writeConfig();
    touch("db1", "deployed while web3 cannot be reached");
    try {
      const started = Date.now();
      const r = await infra(["deploy", "web3", "db1", "--json"]);
      expect(r.exitCode).toBe(1);
      const hosts = byName(r.json);
      expect(hosts.web3).toMatchObject({ status: "failed", host: `127.0.0.1:${port}` });
      const error = hosts.web3!.error as { stage: string; message: string };
      expect(error.stage).toBe("connect");
      expect(error.message).toMatch(
        new RegExp(`cannot reach 127\\.0\\.0\\.1 port ${port} over ssh: .*Connection refused`),
      );
      expect(hosts.db1).toMatchObject({ status: "deployed" });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      fleet.config = saved;
      fleet.writeConfig();
    }
  });

  it("a host whose evaluation fails is skipped with its file:line; nothing of it is built, copied or asked", async () => {
    const good = fleet.repo.read("hosts/db2/default.nix");
    fleet.repo.write("hosts/db2/default.nix", '{\n  services = [ "postgresql" ] ++ brokenOnPurpose;\n}\n');
    touch("web3", "deployed beside the broken host");
    const spy = nixSpy(["nix", "nix-instantiate", "nix-store", "ssh"]);
    try {
      const r = await infra(["deploy", "db2", "web3", "--json"], spy.env);
      expect(r.exitCode).toBe(1);
      const hosts = byName(r.json);
      expect(hosts.db2).toMatchObject({ status: "skipped", next: null });
      expect(hosts.db2!.error).toMatchObject({ stage: "evaluate", file: "hosts/db2/default.nix", line: 2 });
      expect(hosts.web3).toMatchObject({ status: "deployed" });
      const calls = spy.calls();
      expect(calls.filter((c) => c.startsWith("nix-store --realise"))).toHaveLength(1);
      expect(calls.filter((c) => c.startsWith("ssh ") && c.includes(` ${fleet.t.db2!.port} `))).toEqual([]);
      expect(calls.filter((c) => c.startsWith("nix copy"))).toHaveLength(1);
    } finally {
      spy.cleanup();
      fleet.repo.write("hosts/db2/default.nix", good);
    }
  });
});
