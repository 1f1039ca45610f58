// Stand-ins for k6's modules (k6 is not installable here), so unit tests can load the k6 scripts
// and run their setup and iterations against canned answers. Only what load/k6/lib.ts uses.
import { shared } from "./shared.ts";

export const checks = shared("k6-checks", (): { name: string; ok: boolean; tags: unknown }[] => []);

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>, tags?: unknown): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = fn(value);
    checks.push({ name, ok, tags });
    all &&= ok;
  }
  return all;
}
