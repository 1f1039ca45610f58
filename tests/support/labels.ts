import { inject } from "vitest";
import { devstackLabels } from "../../src/labels.ts";

/** Labels for a test's containers: owned by the vitest run, so teardown and env:gc find them. */
export const testLabels = () =>
  devstackLabels({ purpose: "test", ttlMs: 2 * 3600_000, run: inject("testRun") });

export const image = (name: string) => {
  const ref = inject("images")[name];
  if (!ref) throw new Error(`image '${name}' was not resolved by the global setup`);
  return ref;
};
