import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeCourse, encodeEnrollment, encodeUser } from "../../src/seed/copy.ts";
import {
  generateCourses,
  generateEnrollments,
  generateUsers,
  SEED_SIZES,
  type SeedCounts,
  SIZES,
} from "../../src/seed/generate.ts";
import { seedUuid } from "../../src/seed/ids.ts";
import { Prng } from "../../src/seed/prng.ts";
import { TOPICS } from "../../src/seed/vocabulary.ts";

// A fixed hash: the real one is salted per run, and is an input of generation, not an output.
const HASH = "scrypt$16384$8$1$c2FsdA==$a2V5";
const SMALL: SeedCounts = { ...SIZES.small };

/** SHA-256 over the COPY lines of every generated row: what the database would receive. */
function digest(seed: number, counts: SeedCounts): string {
  const hash = createHash("sha256");
  for (const u of generateUsers(seed, counts.users, HASH)) hash.update(encodeUser(u));
  for (const c of generateCourses(seed, counts.courses)) hash.update(encodeCourse(c));
  for (const e of generateEnrollments(seed, counts)) hash.update(encodeEnrollment(e));
  return hash.digest("hex");
}

describe("seed generation", () => {
  it("gives identical rows for the same seed and different rows for another seed", () => {
    const first = digest(42, SMALL);
    expect(digest(42, SMALL)).toBe(first);
    expect(digest(43, SMALL)).not.toBe(first);
  });

  it("has the documented counts per size", () => {
    expect(SEED_SIZES).toEqual(["small", "medium", "large"]);
    expect(SIZES.small).toEqual({ users: 1_000, courses: 200, enrollments: 5_000 });
    expect(SIZES.medium).toEqual({ users: 10_000, courses: 2_000, enrollments: 50_000 });
    expect(SIZES.large).toEqual({ users: 100_000, courses: 20_000, enrollments: 500_000 });
    for (const size of ["small", "medium"] as const) {
      const counts = SIZES[size];
      expect([...generateUsers(1, counts.users, HASH)]).toHaveLength(counts.users);
      expect([...generateEnrollments(1, counts)]).toHaveLength(counts.enrollments);
    }
    expect([...generateCourses(1, SIZES.small.courses)]).toHaveLength(SIZES.small.courses);
  });

  it("makes users with unique deterministic ids, seed emails and one shared password hash", () => {
    const users = [...generateUsers(7, 500, HASH)];
    expect(new Set(users.map((u) => u.id)).size).toBe(500);
    expect(new Set(users.map((u) => u.email)).size).toBe(500);
    expect(users[3]?.email).toBe("user3@seed.azora.dev");
    expect(users[3]?.id).toBe(seedUuid(7, "user", 3));
    expect(users.every((u) => u.passwordHash === HASH && /^\S+ \S+$/.test(u.displayName))).toBe(true);
    // Version-8 UUIDs: what marks a row as seeded (the services create version 4).
    expect(
      users.every((u) => /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u.id)),
    ).toBe(true);
    // A larger size extends a smaller one rather than reshuffling it.
    expect([...generateUsers(7, 100, HASH)]).toEqual(users.slice(0, 100));
  });

  it("makes enrollments of distinct pairs that reference existing users and courses", () => {
    const counts = SIZES.medium;
    const pairs = new Set<string>();
    for (const e of generateEnrollments(5, counts)) {
      expect(e.userIndex).toBeGreaterThanOrEqual(0);
      expect(e.userIndex).toBeLessThan(counts.users);
      expect(e.courseIndex).toBeGreaterThanOrEqual(0);
      expect(e.courseIndex).toBeLessThan(counts.courses);
      expect(e.userId).toBe(seedUuid(5, "user", e.userIndex));
      expect(e.courseId).toBe(seedUuid(5, "course", e.courseIndex));
      pairs.add(`${e.userIndex}:${e.courseIndex}`);
    }
    expect(pairs.size).toBe(counts.enrollments);
  });

  it("embeds every course in 384 dimensions with unit length, within the API's limits", () => {
    for (const course of generateCourses(3, SIZES.small.courses)) {
      expect(course.embedding).toHaveLength(384);
      const norm = Math.sqrt(course.embedding.reduce((sum, x) => sum + x * x, 0));
      expect(norm).toBeCloseTo(1, 5);
      expect(course.title.length).toBeLessThanOrEqual(200);
      expect(course.description.length).toBeLessThanOrEqual(5000);
      expect(course.tags.length).toBeLessThanOrEqual(20);
    }
  });

  it("gives courses on one topic shared words, so search has structure", () => {
    const courses = [...generateCourses(9, 400)];
    const tagged = (tag: string) => courses.filter((c) => c.tags[0] === tag);
    const [a, b] = [tagged(TOPICS[0]?.tag ?? ""), tagged(TOPICS[1]?.tag ?? "")];
    const cosine = (x: Float32Array, y: Float32Array) => x.reduce((sum, v, i) => sum + v * (y[i] ?? 0), 0);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const within = mean(a.slice(1).map((c) => cosine(c.embedding, a[0]?.embedding ?? c.embedding)));
    const across = mean(b.map((c) => cosine(c.embedding, a[0]?.embedding ?? c.embedding)));
    expect(within).toBeGreaterThan(across + 0.1);
  });

  it("draws a repeatable sequence from a seeded PRNG", () => {
    const draw = (seed: number) => {
      const prng = new Prng(seed);
      return Array.from({ length: 5 }, () => prng.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
