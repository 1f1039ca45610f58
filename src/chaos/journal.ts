import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stateDir } from "../paths.ts";
import type { Faults } from "../runtimes/runtime.ts";

/**
 * Faults that last until they are removed (a frozen pod, a cut link, a proxy with toxics) are
 * written down before they are injected and struck off when removed, so that a runner that crashes
 * or is interrupted leaves a record the next run undoes first: an environment is always left as it
 * was found.
 */
const REMOVED_BY = { pause: "resume", isolate: "reconnect", down: "up", degrade: "restore" } as const;
type Lasting = { kind: keyof typeof REMOVED_BY; pod: string };

const file = (env: string) => join(stateDir(), "chaos", `${env}.json`);
const read = (env: string): Lasting[] => {
  try {
    return JSON.parse(readFileSync(file(env), "utf8")) as Lasting[];
  } catch {
    return [];
  }
};
const write = (env: string, faults: Lasting[]) => {
  mkdirSync(join(stateDir(), "chaos"), { recursive: true });
  if (faults.length === 0) rmSync(file(env), { force: true });
  else writeFileSync(file(env), JSON.stringify(faults));
};

/** The environment's faults, with the lasting ones journaled. */
export function journaled(env: string, faults: Faults): Faults {
  const add = (f: Lasting) => write(env, [...read(env), f]);
  const strike = (f: Lasting) =>
    write(
      env,
      read(env).filter((x) => x.kind !== f.kind || x.pod !== f.pod),
    );
  const wrapped: Faults = { ...faults };
  for (const kind of Object.keys(REMOVED_BY) as Lasting["kind"][]) {
    const removal = REMOVED_BY[kind];
    const inject = faults[kind] as (pod: string, ...rest: unknown[]) => Promise<void>;
    (wrapped[kind] as typeof inject) = async (pod, ...rest) => {
      add({ kind, pod });
      await inject(pod, ...rest);
    };
    wrapped[removal] = async (pod) => {
      await faults[removal](pod);
      strike({ kind, pod });
    };
  }
  return wrapped;
}

/** Undoes what an earlier run left in force (it crashed or was interrupted); says what it undid. */
export async function undoLeftFaults(env: string, faults: Faults): Promise<string[]> {
  const left = read(env);
  for (const f of left) {
    await faults[REMOVED_BY[f.kind]](f.pod).catch(() => undefined);
  }
  write(env, []);
  return left.map((f) => `${f.kind} ${f.pod}`);
}
