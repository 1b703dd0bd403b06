import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/browser/**/*.test.ts"],
    // Integration tests run real nix processes; some scenarios evaluate a fleet several times.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: files in parallel would make nix processes compete for CPU without speeding up.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
