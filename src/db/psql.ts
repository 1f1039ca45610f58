import { UserError } from "../errors.ts";
import type { EnvironmentHandle } from "../runtimes/runtime.ts";

/** Runs SQL commands as the cluster's superuser and resolves to psql's unaligned output. */
export type Psql = (commands: string[]) => Promise<string>;

/**
 * The argv that runs `commands` with psql inside a PostgreSQL instance, as its superuser over the
 * local socket (what `kubectl cnpg psql` does): each command is its own `-c`, so each runs in its
 * own transaction (CREATE DATABASE cannot run in one) and the first failure stops the rest. The
 * superuser is Patroni's, else the official image's POSTGRES_USER, else CloudNativePG's postgres.
 */
export function psqlArgv(commands: string[]): string[] {
  const script =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
    'u="${PATRONI_SUPERUSER_USERNAME:-${POSTGRES_USER:-postgres}}"; exec psql -X -q -At -v ON_ERROR_STOP=1 -U "$u" -d postgres "$@"';
  return ["sh", "-c", script, "psql", ...commands.flatMap((c) => ["-c", c])];
}

/** A Psql on the environment's current primary. */
export function primaryPsql(env: EnvironmentHandle): Psql {
  return async (commands) => {
    const primary = (await env.database.members()).find((m) => m.role === "primary" && m.state === "running");
    if (!primary)
      throw new UserError(
        `environment '${env.name}': its database has no running primary`,
        `See \`pnpm db:status --name ${env.name}\`.`,
      );
    try {
      return await env.exec(primary.pod, psqlArgv(commands));
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
      throw new UserError(`environment '${env.name}': psql in ${primary.pod} failed: ${stderr}`);
    }
  };
}
