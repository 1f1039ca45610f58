// The database's failover, measured on a running environment of several instances (nightly): an
// INSERT every 50 ms through the `-rw` Service (write-ledger.ts), then, N times, the primary
// SIGKILLed and kept down until writes flow again, as when its node dies (started again at once,
// as the kubelet restarts a crashed container, it finds its lease still valid and stays the
// primary: a restart, not a failover). For each kill: seconds until a write sent after the kill
// was acknowledged, how many failed meanwhile, the promoted member and its timeline; then the old
// primary is started again and must rejoin. Before each kill the cluster must be whole (one
// primary, every replica streaming with no lag), so every kill meets the shape production has.
// At the end the table is read back: acknowledged writes missing must be none.
import { setTimeout as sleep } from "node:timers/promises";
import { UserError } from "../../src/errors.ts";
import type { DatabaseMember, EnvironmentHandle } from "../../src/runtimes/runtime.ts";
import { WriteLedger } from "./write-ledger.ts";

export interface PostgresFailoverResult {
  outages: number[];
  acknowledged: number;
  missing: number[];
  unacknowledgedPresent: number[];
}

/** Members when the cluster is whole: one primary, the others streaming with no lag. */
async function whole(
  handle: EnvironmentHandle,
  instances: number,
  withinMs: number,
): Promise<DatabaseMember[]> {
  const deadline = Date.now() + withinMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    const members = await handle.database.members().catch((error: Error) => {
      last = error.message;
      return [];
    });
    const primaries = members.filter((m) => m.role === "primary");
    const behind = members.filter((m) => m.role === "replica" && (m.state !== "streaming" || m.lagMb !== 0));
    if (members.length === instances && primaries.length === 1 && behind.length === 0) return members;
    if (members.length > 0)
      last = members.map((m) => `${m.name} ${m.role} ${m.state} lag ${m.lagMb ?? "?"}`).join(", ");
    await sleep(1_000);
  }
  throw new UserError(`the database was not whole again within ${withinMs / 1000} s (last seen: ${last})`);
}

export async function measurePostgresFailover(
  handle: EnvironmentHandle,
  kills: number,
): Promise<PostgresFailoverResult> {
  const url = handle.endpoints.postgres;
  if (!url) throw new UserError(`environment '${handle.name}' publishes no database endpoint`);
  const instances = (await handle.database.members()).length;
  if (instances < 2)
    throw new UserError(
      `environment '${handle.name}' runs ${instances} database instance(s): failover needs replicas`,
    );
  console.log(
    `failover of the database of '${handle.name}': an INSERT every 50 ms through -rw, ${kills} kill(s) of the primary`,
  );
  const ledger = await WriteLedger.start({ url, table: "devstack_failover_ledger" });
  const outages: number[] = [];
  try {
    for (let k = 1; k <= kills; k++) {
      const primary = (await whole(handle, instances, 120_000)).find((m) => m.role === "primary");
      if (!primary) throw new UserError("no primary");
      await sleep(2_000); // writes flowing before the fault
      await handle.faults.down(primary.pod);
      // From the moment the primary is gone (its container stopped): a write before it may still
      // have reached it.
      const at = Date.now();
      let outage = ledger.outageAfter(at);
      try {
        for (const deadline = at + 90_000; !outage && Date.now() < deadline; outage = ledger.outageAfter(at))
          await sleep(100);
      } finally {
        await handle.faults.up(primary.pod);
      }
      if (!outage)
        throw new UserError(`kill ${k}: no write was acknowledged within 90 s of killing ${primary.name}`);
      outages.push(outage.seconds);
      const now = (await handle.database.members()).find((m) => m.role === "primary");
      console.log(
        `kill ${k}: ${primary.name} (primary, timeline ${primary.timeline}) killed; writes acknowledged again after ${outage.seconds.toFixed(1)} s (${outage.failed} failed${outage.firstError ? `, first: ${outage.firstError}` : ""}); now the primary: ${now ? `${now.name}, timeline ${now.timeline}` : "none yet"}`,
      );
    }
    await whole(handle, instances, 120_000);
  } finally {
    await ledger.stop();
  }
  const verified = await ledger.verify();
  return {
    outages,
    acknowledged: verified.acknowledged,
    missing: verified.missing,
    unacknowledgedPresent: verified.unacknowledgedPresent,
  };
}
