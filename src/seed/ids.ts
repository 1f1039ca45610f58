import { createHash } from "node:crypto";

/**
 * Deterministic ids: a UUID is the SHA-256 of (seed, kind, index) with the version nibble set to 8
 * (RFC 9562 "custom") and the RFC variant. The services create rows with gen_random_uuid(), which
 * is always version 4, so a version-8 id marks a row as seeded whatever seed or size made it; a
 * re-seed can find and replace exactly its own rows and never a user's.
 */
export type SeedKind = "user" | "course";

export function seedUuid(seed: number, kind: SeedKind, index: number): string {
  const bytes = createHash("sha256").update(`azora-seed:${seed}:${kind}:${index}`).digest();
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex", 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** SQL: whether the uuid column `column` holds a seed id (version nibble 8; pg 17 has no uuid_extract_version). */
export const isSeedIdSql = (column: string) => `substr(${column}::text, 15, 1) = '8'`;
