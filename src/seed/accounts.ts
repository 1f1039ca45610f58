// Plain data, no Node imports: the load scenarios (load/, also run by k6) log in as seed users too.

/** The domain of every seed user's email; no user made by hand can hold one (see seed.ts). */
export const SEED_EMAIL_DOMAIN = "seed.azora.dev";

/** The email of seed user `index` (0-based), e.g. user0@seed.azora.dev. */
export const seedEmail = (index: number) => `user${index}@${SEED_EMAIL_DOMAIN}`;

/**
 * The password of every seed user: log in as any of them with it. Seed data is for development
 * environments only, where a known password is the point.
 */
export const SEED_PASSWORD = "azora-seed-password";
