// A steady stream of writes with a ledger of what the database acknowledged: the building block of
// failover measurements. Every `intervalMs` one INSERT with the next id goes to `url` (one at a
// time; a slow one delays the next), on one connection that is dropped on any error and opened
// again on the next tick, so a client sees what an application with a reconnecting pool sees.
// Afterwards `outageAfter(t)` says how long after a fault at time t writes were acknowledged
// again, and `verify()` reads the table back and lists acknowledged ids that are missing (lost
// commits) and unacknowledged ones that are present (commits whose answer was lost).
// Loopback only: the URL must name 127.0.0.1, ::1 or localhost.
import pg from "pg";

export interface LedgerOptions {
  /** postgresql://USER:PASS@127.0.0.1:PORT/DB, e.g. the -rw Service's loopback port. */
  url: string;
  /** Time between the starts of two writes (default 50 ms). */
  intervalMs?: number;
  /** Table to write to, created if missing (default failover_ledger). */
  table?: string;
  /** Tags this stream's rows, so runs can share a table (default: a timestamp). */
  run?: string;
  /** A write (or connect) not answered within this is a failure (default 2000 ms). */
  timeoutMs?: number;
}

export interface Attempt {
  id: number;
  sentAt: number;
  doneAt: number;
  ok: boolean;
  error?: string;
}

export interface Verification {
  acknowledged: number;
  present: number;
  /** Acknowledged ids not in the table: lost commits (must be empty). */
  missing: number[];
  /** Ids in the table whose write failed or timed out on the client (the answer was lost). */
  unacknowledgedPresent: number[];
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host))
    throw new Error(`write ledger: ${host} is not a loopback address; refusing to connect`);
}

export class WriteLedger {
  readonly attempts: Attempt[] = [];
  readonly acknowledged = new Set<number>();
  private client: pg.Client | undefined;
  private nextId = 1;
  private running = true;
  private readonly loop: Promise<void>;

  private readonly options: Required<LedgerOptions>;

  private constructor(options: Required<LedgerOptions>) {
    this.options = options;
    this.loop = this.run();
  }

  /** Creates the table (through `url`) and starts the stream. */
  static async start(options: LedgerOptions): Promise<WriteLedger> {
    assertLoopback(options.url);
    const full: Required<LedgerOptions> = {
      intervalMs: 50,
      table: "failover_ledger",
      run: new Date().toISOString(),
      timeoutMs: 2000,
      ...options,
    };
    if (!/^[a-z_][a-z0-9_]*$/.test(full.table))
      throw new Error(`write ledger: bad table name '${full.table}'`);
    const setup = new pg.Client({ connectionString: full.url, connectionTimeoutMillis: full.timeoutMs });
    await setup.connect();
    try {
      await setup.query(
        `CREATE TABLE IF NOT EXISTS ${full.table} (run text NOT NULL, id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run, id))`,
      );
    } finally {
      await setup.end();
    }
    return new WriteLedger(full);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.timeoutMs,
      query_timeout: this.options.timeoutMs,
    });
    client.on("error", () => this.drop(client));
    this.client = client;
    try {
      await client.connect();
    } catch (error) {
      this.drop(client);
      throw error;
    }
    return client;
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.end().catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      const id = this.nextId++;
      const sentAt = Date.now();
      try {
        const client = await this.connection();
        try {
          await client.query(`INSERT INTO ${this.options.table} (run, id) VALUES ($1, $2)`, [
            this.options.run,
            id,
          ]);
        } catch (error) {
          this.drop(client);
          throw error;
        }
        this.acknowledged.add(id);
        this.attempts.push({ id, sentAt, doneAt: Date.now(), ok: true });
      } catch (error) {
        this.attempts.push({ id, sentAt, doneAt: Date.now(), ok: false, error: (error as Error).message });
      }
      const wait = sentAt + this.options.intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * After a fault at `at` (ms since the epoch): seconds from `at` until the first write sent at or
   * after `at` was acknowledged, and how many writes failed in between (a write already in flight
   * at `at` does not count: it may have reached the old primary before the fault). `undefined`
   * while none has been acknowledged yet.
   */
  outageAfter(at: number): { seconds: number; failed: number; firstError?: string } | undefined {
    const first = this.attempts.find((a) => a.ok && a.sentAt >= at);
    if (!first) return undefined;
    const failed = this.attempts.filter((a) => !a.ok && a.doneAt > at && a.doneAt <= first.doneAt);
    return { seconds: (first.doneAt - at) / 1000, failed: failed.length, firstError: failed[0]?.error };
  }

  /** Stops the stream after the write in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.client) this.drop(this.client);
  }

  /** Reads this run's ids back (through `url`, default the stream's) and compares with the ledger. */
  async verify(url = this.options.url): Promise<Verification> {
    assertLoopback(url);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: this.options.timeoutMs });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM ${this.options.table} WHERE run = $1`,
        [this.options.run],
      );
      const present = new Set(rows.map((r) => Number(r.id)));
      return {
        acknowledged: this.acknowledged.size,
        present: present.size,
        missing: [...this.acknowledged].filter((id) => !present.has(id)).sort((a, b) => a - b),
        unacknowledgedPresent: [...present].filter((id) => !this.acknowledged.has(id)).sort((a, b) => a - b),
      };
    } finally {
      await client.end();
    }
  }
}
