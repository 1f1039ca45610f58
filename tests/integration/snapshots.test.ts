import type { StartedPostgreSqlContainer } from "@testcontainers/postgresql";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Psql, psqlArgv } from "../../src/db/psql.ts";
import { checkSnapshotName, dbSnapshots, snapshotTargetOf } from "../../src/db/snapshots.ts";
import { UserError } from "../../src/errors.ts";
import { startDatabase } from "../support/database.ts";
import { rejectionOf } from "../support/thrown.ts";

describe("env:snapshot / env:restore on real PostgreSQL", () => {
  let db: { container: StartedPostgreSqlContainer; url: string; pool: pg.Pool };
  let psql: Psql;
  let snapshots: ReturnType<typeof dbSnapshots>;

  beforeAll(async () => {
    db = await startDatabase();
    // The same argv the runtimes run in the primary's pod, here in the test's container.
    psql = async (commands) => {
      const result = await db.container.exec(psqlArgv(commands));
      if (result.exitCode !== 0) throw new Error(result.stderr);
      return result.stdout;
    };
    snapshots = dbSnapshots(psql, snapshotTargetOf(db.url));
  });
  afterAll(async () => {
    await db?.pool.end();
    await db?.container.stop();
  });

  const emails = async () =>
    (await db.pool.query<{ email: string }>("SELECT email FROM users ORDER BY email")).rows.map(
      (r) => r.email,
    );
  const addUser = (email: string) =>
    db.pool.query("INSERT INTO users (email, password_hash, display_name) VALUES ($1, 'x', 'X')", [email]);

  it("brings back exactly the rows there were when it was taken, while the pool stays usable", async () => {
    await addUser("before@example.org");
    // An open connection in the pool, as the services hold them: it is closed, and replaced.
    const held = await db.pool.connect();
    held.on("error", () => {});
    held.release();

    const taken = await snapshots.take("base");
    expect(taken).toMatchObject({ name: "base", of: "test" });
    expect(taken.bytes).toBeGreaterThan(1_000_000);
    expect(Date.now() - Date.parse(taken.takenAt)).toBeLessThan(60_000);

    await addUser("after@example.org");
    await db.pool.query("DELETE FROM users WHERE email = 'before@example.org'");
    expect(await emails()).toEqual(["after@example.org"]);

    await snapshots.restore("base");
    expect(await emails()).toEqual(["before@example.org"]);
    // The restored database is owned by the application's role and takes new writes.
    const { rows } = await db.pool.query(
      "SELECT pg_get_userbyid(datdba) AS owner, datallowconn FROM pg_database WHERE datname = current_database()",
    );
    expect(rows[0]).toEqual({ owner: "test", datallowconn: true });
    await addUser("later@example.org");
    expect(await emails()).toEqual(["before@example.org", "later@example.org"]);
    // The restore leaves no working copies behind; the snapshot stays for the next restore.
    const names = await psql(["SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"]);
    expect(names.trim()).toBe("devstack_snapshot_base,postgres,template0,template1,test");
  });

  it("lists snapshots, refuses to overwrite one without replace, and replaces it with", async () => {
    expect((await snapshots.list()).map((s) => s.name)).toEqual(["base"]);
    expect(await rejectionOf(snapshots.take("base"))).toMatchObject({
      message: "a snapshot named 'base' exists",
    });
    await addUser("second@example.org");
    await snapshots.take("base", { replace: true });
    await snapshots.take("other");
    expect((await snapshots.list()).map((s) => s.name)).toEqual(["base", "other"]);
    await db.pool.query("DELETE FROM users");
    await snapshots.restore("base");
    expect(await emails()).toContain("second@example.org");
    await snapshots.remove("other");
    expect((await snapshots.list()).map((s) => s.name)).toEqual(["base"]);
  });

  it("a restore that cannot complete leaves the database as it was and open", async () => {
    const before = await emails();
    // The copy is owned by a role that does not exist: CREATE DATABASE fails before anything is swapped.
    const broken = dbSnapshots(psql, { database: "test", owner: "nobody" });
    const error = await rejectionOf(broken.restore("base"));
    expect(String(error)).toMatch(/role "nobody" does not exist/);
    expect(await emails()).toEqual(before);
    expect(await rejectionOf(snapshots.restore("missing"))).toBeInstanceOf(UserError);
  });

  it("only names a database can take are accepted", () => {
    expect(checkSnapshotName("before-demo-2")).toBe("before-demo-2");
    for (const bad of ["", "Upper", "-lead", "trail-", "semi;colon", "x".repeat(41), undefined])
      expect(() => checkSnapshotName(bad, "env:snapshot NAME")).toThrow(
        /env:snapshot NAME: .* is not a valid snapshot name/,
      );
  });
});
