import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { toPgVector } from "@azora/service-kit/embedding";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { SeedCourse, SeedEnrollment, SeedUser } from "./generate.ts";

/**
 * Rows to `COPY ... FROM STDIN` (text format), streamed: rows are encoded as the database reads
 * them, in chunks of about CHUNK bytes, so memory stays flat whatever the size. COPY skips the
 * per-statement parse/plan/round-trip of INSERT, which is most of the cost at this volume.
 */

const CHUNK = 256 * 1024;

// COPY text format: backslash, tab, newline and carriage return are escaped; nothing else is.
const SPECIAL = /[\\\t\n\r]/;
const text = (value: string) =>
  SPECIAL.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c] ?? c)
    : value;

// A text[] literal with every element quoted, so commas, braces and spaces inside a tag are safe.
const textArray = (items: readonly string[]) =>
  `{${items.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(",")}}`;

const time = (d: Date) => d.toISOString();

export const encodeUser = (u: SeedUser) =>
  `${u.id}\t${text(u.email)}\t${text(u.passwordHash)}\t${text(u.displayName)}\t${time(u.createdAt)}\t${time(u.createdAt)}\n`;

// toPgVector is what course-service writes, so a seeded vector is stored exactly as a created one.
export const encodeCourse = (c: SeedCourse) =>
  `${c.id}\t${text(c.title)}\t${text(c.description)}\t${text(textArray(c.tags))}\t${toPgVector(c.embedding)}\t${time(c.createdAt)}\t${time(c.createdAt)}\n`;

export const encodeEnrollment = (e: SeedEnrollment) => `${e.userId}\t${e.courseId}\t${time(e.createdAt)}\n`;

export const COPY_SQL = {
  users: "COPY users (id, email, password_hash, display_name, created_at, updated_at) FROM STDIN",
  courses: "COPY courses (id, title, description, tags, embedding, created_at, updated_at) FROM STDIN",
  enrollments: "COPY enrollments (user_id, course_id, created_at) FROM STDIN",
} as const;

function* chunked<T>(rows: Iterable<T>, encode: (row: T) => string): Generator<string> {
  let buffer = "";
  for (const row of rows) {
    buffer += encode(row);
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer.length > 0) yield buffer;
}

/** Streams `rows` into `COPY sql FROM STDIN` on `client`; returns the rows the server counted. */
export async function copyRows<T>(
  client: pg.ClientBase,
  sql: string,
  rows: Iterable<T>,
  encode: (row: T) => string,
): Promise<number> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(chunked(rows, encode), { objectMode: false }), stream);
  return stream.rowCount;
}
