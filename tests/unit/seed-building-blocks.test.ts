import { Writable } from "node:stream";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../services/user-service/src/passwords.ts";
import { SEED_EMAIL_DOMAIN, SEED_PASSWORD } from "../../src/seed/accounts.ts";
import { COPY_SQL, copyRows, encodeCourse, encodeEnrollment, encodeUser } from "../../src/seed/copy.ts";
import { courseTopics, generateEnrollments } from "../../src/seed/generate.ts";
import { isSeedIdSql, seedUuid } from "../../src/seed/ids.ts";
import { seedPasswordHash } from "../../src/seed/password.ts";
import { Prng, prngFor } from "../../src/seed/prng.ts";
import {
  DESCRIPTION_OPENERS,
  FIRST_NAMES,
  FORMATS,
  LAST_NAMES,
  LEVELS,
  TITLE_PATTERNS,
  TOPICS,
} from "../../src/seed/vocabulary.ts";

// The pieces seed generation is built from, each against values worked out by hand or from its
// published definition (mulberry32, RFC 9562, PostgreSQL's COPY text format).

describe("the seeded PRNG (mulberry32)", () => {
  it("gives mulberry32's published sequence", () => {
    const one = new Prng(1);
    expect([one.next(), one.next(), one.next()]).toEqual([
      0.6270739405881613, 0.002735721180215478, 0.5274470399599522,
    ]);
    const zero = new Prng(0);
    expect([zero.next(), zero.next()]).toEqual([0.26642920868471265, 0.0003297457005828619]);
    // The seed is taken as 32 unsigned bits.
    expect(new Prng(-1).next()).toBe(0.8964226141106337);
    expect(new Prng(2 ** 32 + 5).next()).toBe(new Prng(5).next());
  });

  it("derives integers, picks and samples from that sequence", () => {
    const ints = new Prng(1);
    expect(Array.from({ length: 5 }, () => ints.int(10))).toEqual([6, 0, 5, 9, 9]);
    const picks = new Prng(1);
    expect(
      Array.from({ length: 3 }, () => picks.pick(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])),
    ).toEqual(["g", "a", "f"]);
    expect(() => new Prng(1).pick([])).toThrow("pick from an empty list");
    // Partial Fisher-Yates, j = i + int(10 - i): 0 <-> 6, then 1 <-> 1 (int(9 * 0.0027) = 0), then
    // 2 <-> 6 (int(8 * 0.527) = 4), where 0 now is.
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(new Prng(1).sample(items, 3)).toEqual([6, 1, 0]);
    expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Prng(1).sample(["x", "y"], 5).sort()).toEqual(["x", "y"]);
    expect(new Prng(1).sample(["x", "y"], 0)).toEqual([]);
  });

  it("gives each (seed, purpose) its own stream, seeded by SHA-256", () => {
    // SHA-256("azora-seed:42:users"), first four bytes little-endian: 1358653457.
    expect(prngFor(42, "users").next()).toBe(new Prng(1_358_653_457).next());
    expect(prngFor(42, "users").next()).toBe(0.571302653523162);
    expect(prngFor(42, "courses").next()).not.toBe(prngFor(42, "users").next());
    expect(prngFor(43, "users").next()).not.toBe(prngFor(42, "users").next());
  });
});

describe("seed ids", () => {
  it("are version-8 UUIDs with the RFC variant, different per seed, kind and index", () => {
    const ids = [
      seedUuid(1, "user", 0),
      seedUuid(2, "user", 0),
      seedUuid(1, "course", 0),
      seedUuid(1, "user", 1),
    ];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("are found in SQL by their version nibble, and seed users have their own email domain", () => {
    expect(isSeedIdSql("u.id")).toBe("substr(u.id::text, 15, 1) = '8'");
    // Character 15 (1-based) of the text form is the version nibble.
    expect(seedUuid(42, "user", 0)[14]).toBe("8");
    expect(SEED_EMAIL_DOMAIN).toBe("seed.azora.dev");
  });

  it("share one known password, hashed so that user-service's login accepts it", async () => {
    expect(SEED_PASSWORD).toBe("azora-seed-password");
    const hash = await seedPasswordHash();
    expect(hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword("azora-seed-password", hash)).toBe(true);
    expect(await verifyPassword("azora-seed-passwor", hash)).toBe(false);
  });
});

describe("COPY rows (PostgreSQL's text format)", () => {
  const at = new Date("2024-03-04T05:06:07.089Z");

  it("encodes a user, escaping backslash, tab, newline and carriage return only", () => {
    expect(
      encodeUser({
        id: "id-1",
        email: "a@seed.azora.dev",
        passwordHash: "scrypt$1$2",
        displayName: "Zoë\t\\O'Brien\n\r, {x}",
        createdAt: at,
      }),
    ).toBe(
      "id-1\ta@seed.azora.dev\tscrypt$1$2\tZoë\\t\\\\O'Brien\\n\\r, {x}\t2024-03-04T05:06:07.089Z\t2024-03-04T05:06:07.089Z\n",
    );
  });

  it("escapes a value made of special characters only", () => {
    const user = { id: "id-2", email: "b@x", passwordHash: "h", createdAt: at };
    expect(encodeUser({ ...user, displayName: "\t\n" }).split("\t")[3]).toBe("\\t\\n");
    expect(encodeUser({ ...user, displayName: "\\" }).split("\t")[3]).toBe("\\\\");
  });

  it("encodes a course: tags as a quoted text[] literal, the embedding as pgvector text", () => {
    expect(
      encodeCourse({
        id: "c-1",
        title: "SQL\tin depth",
        description: "line 1\nline 2",
        tags: ["data", 'say "hi"', "back\\slash", "a,b {c}"],
        embedding: Float32Array.from([0.5, -0.25, 0]),
        createdAt: at,
      }),
    ).toBe(
      `c-1\tSQL\\tin depth\tline 1\\nline 2\t{"data","say \\\\"hi\\\\"","back\\\\\\\\slash","a,b {c}"}\t[0.5,-0.25,0]\t2024-03-04T05:06:07.089Z\t2024-03-04T05:06:07.089Z\n`,
    );
    expect(
      encodeCourse({
        id: "c",
        title: "t",
        description: "d",
        tags: [],
        embedding: new Float32Array(0),
        createdAt: at,
      }),
    ).toBe("c\tt\td\t{}\t[]\t2024-03-04T05:06:07.089Z\t2024-03-04T05:06:07.089Z\n");
  });

  it("encodes an enrollment", () => {
    expect(
      encodeEnrollment({ userIndex: 1, courseIndex: 2, userId: "u", courseId: "c", createdAt: at }),
    ).toBe("u\tc\t2024-03-04T05:06:07.089Z\n");
  });

  it("names the columns in the order the rows carry them", () => {
    expect(COPY_SQL).toEqual({
      users: "COPY users (id, email, password_hash, display_name, created_at, updated_at) FROM STDIN",
      courses: "COPY courses (id, title, description, tags, embedding, created_at, updated_at) FROM STDIN",
      enrollments: "COPY enrollments (user_id, course_id, created_at) FROM STDIN",
    });
  });

  /** A client whose COPY stream records what it is sent, and reports `rowCount` rows. */
  function recordingClient(rowCount: number) {
    const chunks: string[] = [];
    const queries: string[] = [];
    const client = {
      query: (query: { text: string }) => {
        queries.push(query.text);
        return Object.assign(
          new Writable({
            write(chunk, _encoding, done) {
              chunks.push(String(chunk));
              done();
            },
          }),
          { rowCount },
        );
      },
    } as unknown as pg.ClientBase;
    return { client, chunks, queries };
  }

  it("streams rows in chunks of about 256 KiB and returns the rows the server counted", async () => {
    const { client, chunks, queries } = recordingClient(5);
    const row = `${"x".repeat(100 * 1024 - 1)}\n`;
    const count = await copyRows(client, COPY_SQL.enrollments, [1, 2, 3, 4, 5], () => row);
    expect(count).toBe(5);
    expect(queries).toEqual([COPY_SQL.enrollments]);
    // A chunk is sent once it reaches 256 KiB: three rows of 100 KiB, then the two left.
    expect(chunks.map((c) => c.length)).toEqual([3 * 100 * 1024, 2 * 100 * 1024]);
    expect(chunks.join("")).toBe(row.repeat(5));
  });

  it("sends a chunk that reaches 256 KiB exactly at once, and nothing for no rows", async () => {
    const exact = recordingClient(2);
    await copyRows(exact.client, "COPY t FROM STDIN", ["a", "b", "c"], (r) =>
      r === "c" ? "c\n" : `${r.repeat(128 * 1024 - 1)}\n`,
    );
    expect(exact.chunks.map((c) => c.length)).toEqual([256 * 1024, 2]);
    const none = recordingClient(0);
    expect(await copyRows(none.client, "COPY t FROM STDIN", [], String)).toBe(0);
    expect(none.chunks).toEqual([]);
  });
});

describe("enrollment generation limits", () => {
  it("needs a user and a course for any enrollment", () => {
    expect(() => [...generateEnrollments(1, { users: 0, courses: 5, enrollments: 1 })]).toThrow(
      "enrollments need at least one user and one course",
    );
    expect(() => [...generateEnrollments(1, { users: 5, courses: 0, enrollments: 1 })]).toThrow(
      "enrollments need at least one user and one course",
    );
    expect([...generateEnrollments(1, { users: 0, courses: 0, enrollments: 0 })]).toEqual([]);
  });

  it("draws at most half of all (user, course) pairs", () => {
    expect(() => [...generateEnrollments(1, { users: 3, courses: 3, enrollments: 5 })]).toThrow(
      "5 enrollments is more than half of 3 x 3 pairs",
    );
    const half = [...generateEnrollments(1, { users: 2, courses: 4, enrollments: 4 })];
    expect(new Set(half.map((e) => `${e.userIndex}/${e.courseIndex}`)).size).toBe(4);
  });

  it("dates an enrollment after its user and its course were created, within the seeded year", () => {
    const created = (id: string) =>
      Date.UTC(2024, 0, 1) + Math.floor((Number.parseInt(id.slice(0, 8), 16) / 2 ** 32) * 366 * 86_400_000);
    for (const e of generateEnrollments(3, { users: 50, courses: 20, enrollments: 300 })) {
      const t = e.createdAt.getTime();
      expect(t).toBeGreaterThanOrEqual(Math.max(created(e.userId), created(e.courseId)));
      expect(t).toBeLessThan(Date.UTC(2025, 0, 1));
    }
  });

  it("gives every course one of the topics", () => {
    const topics = courseTopics(42, 500);
    expect(topics).toHaveLength(500);
    expect(Math.max(...topics)).toBe(TOPICS.length - 1);
    expect(Math.min(...topics)).toBe(0);
  });
});

describe("the seed vocabulary", () => {
  const words = (list: readonly string[]) => {
    expect(list.every((w) => w.length > 0 && w.trim() === w)).toBe(true);
    expect(new Set(list).size).toBe(list.length);
  };

  it("has sixteen topics, each with a unique tag, five subjects and at least seven concepts", () => {
    expect(TOPICS).toHaveLength(16);
    words(TOPICS.map((t) => t.tag));
    for (const topic of TOPICS) {
      expect(topic.tag).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(topic.subjects).toHaveLength(5);
      words(topic.subjects);
      // A course draws five distinct concepts of its topic, and two more for its tags.
      expect(topic.concepts.length).toBeGreaterThanOrEqual(7);
      words(topic.concepts);
    }
  });

  it("names people from 48 first and 32 last names", () => {
    expect(FIRST_NAMES).toHaveLength(48);
    expect(LAST_NAMES).toHaveLength(32);
    words(FIRST_NAMES);
    words(LAST_NAMES);
    expect(FIRST_NAMES.slice(0, 2)).toEqual(["Amara", "Ben"]);
    expect(FIRST_NAMES.slice(-2)).toEqual(["Viktor", "Wanjiru"]);
    expect(LAST_NAMES).toEqual(expect.arrayContaining(["Müller", "O'Brien", "Hernández", "Nguyen"]));
  });

  it("titles a course by its level, never calling a beginner course advanced", () => {
    expect(LEVELS).toEqual(["beginner", "intermediate", "advanced"]);
    const titles = Object.fromEntries(
      LEVELS.map((l) => [l, TITLE_PATTERNS[l].map((pattern) => pattern("SQL"))]),
    );
    expect(titles).toEqual({
      beginner: ["Introduction to SQL", "SQL for Beginners", "SQL Fundamentals", "SQL: a Complete Guide"],
      intermediate: ["SQL in Practice", "Hands-on SQL", "Practical SQL", "SQL: a Complete Guide"],
      advanced: ["Advanced SQL", "Mastering SQL", "SQL in Depth", "SQL in Practice"],
    });
  });

  it("shares openers and formats across topics", () => {
    expect(DESCRIPTION_OPENERS).toHaveLength(6);
    words(DESCRIPTION_OPENERS);
    expect(FORMATS).toHaveLength(12);
    words(FORMATS);
  });
});
