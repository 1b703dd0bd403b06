// The settings infra uses without an infra.json. A plain object, so a run without a config file
// never loads zod; a unit test checks it equals what the schema fills in.
import type { InfraConfig } from "./config.js";

export const DEFAULT_CONFIG: InfraConfig = {
  ignore: [],
  hosts: {},
  groups: {},
  meta: {},
  limits: { timeoutSeconds: 300, memoryMB: 4096 },
  layering: [],
  ci: { budget: { timePercent: 25, timeMs: 200, memoryPercent: 20, memoryMB: 64 }, hosts: {}, samples: 3 },
  deploy: {
    backend: "ssh",
    goal: "switch",
    jobs: 4,
    buildOn: "local",
    sshOptions: [],
    connectTimeoutSeconds: 10,
    targets: {},
  },
  secrets: {
    hostKeys: "hosts/{name}/ssh_host_ed25519_key.pub",
    sopsConfig: ".sops.yaml",
    admins: {},
    gateDeploy: true,
    gateCi: true,
  },
};
