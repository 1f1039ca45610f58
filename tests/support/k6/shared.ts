/**
 * State the stand-ins keep on globalThis: a test re-imports the scripts (vi.resetModules) to change
 * __ENV, and the script's fresh copy of a stand-in must share its state with the test's copy.
 */
export function shared<T>(key: string, make: () => T): T {
  const global = globalThis as Record<string, unknown>;
  if (!(key in global)) global[key] = make();
  return global[key] as T;
}
