import { randomBytes } from "node:crypto";
import { cnpgAppSecret, type Plan } from "./plan.ts";

export type SecretValues = Record<string, Record<string, string>>;

export const GENERATE_ANNOTATION = "devstack.azora.dev/generate";

/**
 * The values of every Secret an environment needs: declared keys of annotated templates get a
 * random value, and each CloudNativePG Cluster gets the `<cluster>-app` secret its operator would
 * create. Values already generated for this environment (kept in its state) are reused, so a kept
 * data volume still matches its password.
 */
export function generateSecrets(plan: Plan, previous: SecretValues = {}): SecretValues {
  const random = () => randomBytes(24).toString("base64url");
  const values: SecretValues = {};
  for (const o of plan.run.filter((x) => x.kind === "Secret")) {
    const declared = { ...decode(o.data), ...o.stringData };
    const generate = o.metadata.annotations?.[GENERATE_ANNOTATION] === "true";
    values[o.metadata.name] = Object.fromEntries(
      Object.entries(declared).map(([key, value]) => [
        key,
        value === "" && generate ? (previous[o.metadata.name]?.[key] ?? random()) : value,
      ]),
    );
  }
  for (const cluster of plan.run.filter((x) => x.kind === "Cluster")) {
    const name = cnpgAppSecret(cluster.metadata.name);
    const initdb = cluster.spec?.bootstrap?.initdb ?? {};
    const dbname = initdb.database ?? "app";
    const username = initdb.owner ?? dbname;
    const password = previous[name]?.password ?? random();
    const host = `${cluster.metadata.name}-rw`;
    values[name] = {
      username,
      password,
      host,
      port: "5432",
      dbname,
      uri: `postgresql://${username}:${password}@${host}:5432/${dbname}`,
    };
    // With more than one instance: the superuser and the replication user, as the operator keeps
    // them (`-superuser`; replication authenticates by certificate there, by password here).
    if ((cluster.spec?.instances ?? 1) > 1)
      for (const [suffix, user] of [
        ["superuser", "postgres"],
        ["replication", "streaming_replica"],
      ] as const) {
        const secret = `${cluster.metadata.name}-${suffix}`;
        values[secret] = { username: user, password: previous[secret]?.password ?? random() };
      }
  }
  return values;
}

const decode = (data: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
