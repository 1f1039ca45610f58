import { randomUUID } from "node:crypto";
import pg from "pg";
import { fetchWithin } from "../http/fetch-within.ts";
import { jsonField } from "../http/json-field.ts";

/**
 * The workload every experiment runs under: a client that writes through the gateway at a steady
 * rate (sign-ups, logins, enrollments) and records every write it sent, with its answer. A write
 * is acknowledged when the service said it was done (201/200); after the experiment every
 * acknowledged write is read back from the database, so a write the platform acknowledged and then
 * lost is caught, as is one stored twice.
 */

export type WriteKind = "signup" | "login" | "enroll";

export interface Write {
  kind: WriteKind;
  /** What identifies it in the database: the user id (sign-up), `userId/courseId` (enrollment). */
  key: string;
  /** Milliseconds since the ledger started. */
  at: number;
  ms: number;
  /** 0: no answer (connection refused, reset, timed out). */
  status: number;
  acknowledged: boolean;
  /** Who answered an error: a service (its error shape) or the gateway (anything else). */
  source?: "service" | "gateway";
}

export interface LedgerVerdict {
  acknowledged: number;
  /** Acknowledged writes the database does not have. */
  lost: string[];
  /** Writes stored more than once. */
  duplicates: string[];
  byStatus: Record<string, number>;
}

export interface LedgerOptions {
  /** The gateway's base URL (LoadBalancer). */
  gateway: string;
  /** Writes per second (spread evenly). */
  rate: number;
  /** A course every enrollment refers to (a seeded one). */
  courseId: string;
  /** Per-request timeout: a hung platform counts as no answer, never stalls the workload. */
  timeoutMs?: number;
}

export class Ledger {
  readonly writes: Write[] = [];
  private started = 0;
  private timer?: NodeJS.Timeout;
  private inFlight = new Set<Promise<void>>();
  /** When each write still waiting for its answer was sent (ledger clock). */
  private unanswered = new Set<number>();
  private users: { id: string; email: string; password: string; token?: string }[] = [];
  /** Every session the workload was issued (a user's later login does not end an earlier one). */
  private sessions: { token: string; at: number }[] = [];
  private tick = 0;

  private gateway: string;

  private readonly options: LedgerOptions;

  constructor(options: LedgerOptions) {
    this.options = options;
    this.gateway = options.gateway;
  }

  /** Writes go to this gateway from now on (an environment recreated by a repair has new ports). */
  retarget(gateway: string): void {
    this.gateway = gateway;
  }

  start(): void {
    this.started = performance.now();
    const every = 1000 / this.options.rate;
    // Open loop: a write is sent every `every` ms whether or not earlier ones were answered, so
    // a stalled platform shows as failures in the timeline instead of slowing the workload down.
    this.timer = setInterval(() => {
      const sentAt = this.now();
      this.unanswered.add(sentAt);
      const job = this.next().finally(() => {
        this.inFlight.delete(job);
        this.unanswered.delete(sentAt);
      });
      this.inFlight.add(job);
    }, every);
  }

  /** Stops sending and waits for the writes in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  /**
   * The writes whose outcome is known for good: those sent before the oldest one still waiting for
   * its answer (a write answered late, a timeout, must not turn up between writes already judged).
   */
  settled(): Write[] {
    const oldest = Math.min(...this.unanswered);
    return this.writes.filter((w) => w.at < oldest);
  }

  /** Milliseconds since the ledger started (the timeline's clock). */
  now(): number {
    return performance.now() - this.started;
  }

  /** One write: a sign-up, then alternately a login and an enrollment for a known user. */
  private async next(): Promise<void> {
    const turn = this.tick++ % 3;
    const user = this.users[Math.floor(Math.random() * this.users.length)];
    if (turn === 0 || !user) {
      const email = `ledger-${randomUUID()}@example.test`;
      const password = `pw-${randomUUID()}`;
      const answer = await this.send("signup", "POST", "/api/users", {
        email,
        password,
        displayName: "Ledger",
      });
      const id = jsonField(answer.body, "id");
      if (answer.acknowledged && id) this.users.push({ id, email, password });
      this.record("signup", id || email, answer);
    } else if (turn === 1 || !user.token) {
      const answer = await this.send("login", "POST", "/api/sessions", {
        email: user.email,
        password: user.password,
      });
      if (answer.acknowledged) {
        user.token = jsonField(answer.body, "token");
        this.sessions.push({ token: user.token, at: this.now() });
      }
      this.record("login", user.id, answer);
    } else {
      const answer = await this.send(
        "enroll",
        "POST",
        "/api/enrollments",
        { userId: user.id, courseId: this.options.courseId },
        user.token,
      );
      this.record("enroll", `${user.id}/${this.options.courseId}`, answer);
    }
  }

  private async send(kind: WriteKind, method: string, path: string, body: object, token?: string) {
    const began = performance.now();
    try {
      const response = await fetchWithin(
        `${this.gateway}${path}`,
        {
          method,
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        },
        this.options.timeoutMs ?? 5_000,
      );
      const acknowledged =
        kind === "enroll" ? response.status === 201 || response.status === 200 : response.status === 201;
      return {
        status: response.status,
        body: response.text,
        acknowledged,
        ms: performance.now() - began,
        began,
      };
    } catch {
      return { status: 0, body: "", acknowledged: false, ms: performance.now() - began, began };
    }
  }

  private record(
    kind: WriteKind,
    key: string,
    answer: { status: number; body: string; acknowledged: boolean; ms: number; began: number },
  ) {
    this.writes.push({
      kind,
      key,
      at: answer.began - this.started,
      ms: answer.ms,
      status: answer.status,
      acknowledged: answer.acknowledged,
      ...(answer.status >= 400 ? { source: errorSource(answer.body) } : {}),
    });
  }

  /** The sessions (tokens) the workload holds that were issued before `at` on its clock. */
  sessionsIssuedBefore(at: number): string[] {
    return this.sessions.filter((s) => s.token && s.at < at).map((s) => s.token);
  }

  /** What the gateway answers for a session now: GET /api/sessions/current (200 while it lives). */
  async sessionStatus(token: string): Promise<number> {
    const response = await fetchWithin(
      `${this.gateway}/api/sessions/current`,
      { headers: { authorization: `Bearer ${token}` } },
      this.options.timeoutMs ?? 5_000,
    ).catch(() => undefined);
    return response?.status ?? 0;
  }

  /**
   * Reads every acknowledged sign-up and enrollment back from the database. The read is tried again
   * while the database does not answer (refused, cut or timed out; up to `waitMs`): right after a
   * fault its endpoint may still be coming back (on Kind a restarted kubelet reports its pods unready
   * until their probes pass, and the port-forward waits for a ready pod), which is not a lost
   * write. An error the database itself answers is not waited out.
   */
  async verify(databaseUrl: string, waitMs = 60_000): Promise<LedgerVerdict> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        return await this.readBack(databaseUrl);
      } catch (error) {
        if (error instanceof pg.DatabaseError) throw error;
        if (Date.now() > deadline)
          throw new Error(
            `the writes could not be read back: no answer from the database for ${waitMs / 1000} s: ${(error as Error).message}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async readBack(databaseUrl: string): Promise<LedgerVerdict> {
    const acked = this.writes.filter((w) => w.acknowledged);
    const signups = [...new Set(acked.filter((w) => w.kind === "signup").map((w) => w.key))];
    const enrollments = [...new Set(acked.filter((w) => w.kind === "enroll").map((w) => w.key))];
    // Bounded both ways, as the workload's requests are: a forward that dies mid-read is tried again.
    const client = new pg.Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: 10_000,
      query_timeout: 30_000,
    });
    await client.connect();
    try {
      const users = await client.query<{ key: string; n: string }>(
        "SELECT id::text AS key, count(*) AS n FROM users WHERE id = ANY($1::uuid[]) GROUP BY id",
        [signups],
      );
      const pairs = await client.query<{ key: string; n: string }>(
        "SELECT user_id::text || '/' || course_id::text AS key, count(*) AS n FROM enrollments WHERE user_id = ANY($1::uuid[]) GROUP BY 1",
        [enrollments.map((e) => e.split("/")[0])],
      );
      const found = new Map([...users.rows, ...pairs.rows].map((r) => [r.key, Number(r.n)]));
      const byStatus: Record<string, number> = {};
      for (const w of this.writes) byStatus[String(w.status)] = (byStatus[String(w.status)] ?? 0) + 1;
      return {
        acknowledged: acked.length,
        lost: [...signups, ...enrollments].filter((k) => !found.has(k)),
        duplicates: [...found].filter(([, n]) => n > 1).map(([k]) => k),
        byStatus,
      };
    } finally {
      await client.end();
    }
  }
}

/** The services answer errors as `{"error": {"code", "message", "requestId"}}`; the gateway does not. */
function errorSource(body: string): "service" | "gateway" {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown } }).error;
    return typeof error === "object" && error !== null && typeof error.code === "string"
      ? "service"
      : "gateway";
  } catch {
    return "gateway";
  }
}
