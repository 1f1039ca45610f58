import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";

/**
 * The Tyk 2.9.4 gateway configuration in kind/base/gateway/: classic API definitions (apis/*.json),
 * the file-based policies (policies.json) and tyk.conf.
 *
 * Tyk decodes these files with Go's encoding/json: an unknown or misspelt field is ignored without a
 * word, and a value of the wrong type stops decoding at that field yet still loads the API with
 * whatever came before it (seen with Tyk 2.9.4: `"strip_listen_path": "yes"` logs one error line
 * and proxies /api/x/1 to /x/api/x/1). So the schemas below describe exactly the fields we use,
 * strictly, and checkApiDefinitions also checks the facts that span files.
 */

/** The sources of the gateway image's Go plugins, each compiled to /opt/tyk-gateway/plugins/NAME.so. */
export const GATEWAY_PLUGINS = join(repoRoot, "images/tyk/gateway/plugins");

/** What the JWT signing secret is replaced by, base64-encoded, when the templates are rendered. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder the templates carry
export const JWT_SECRET_PLACEHOLDER = "${JWT_SECRET_BASE64}";

/** Renders an API definition template: the placeholder becomes the base64 of the signing secret. */
export function renderApiDefinition(template: string, jwtSecret: string): string {
  return template.replaceAll(JWT_SECRET_PLACEHOLDER, Buffer.from(jwtSecret, "utf8").toString("base64"));
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const method = z.enum(METHODS, `one of ${METHODS.join(", ")}`);

const REGEX = "a regular expression (Tyk matches it, unanchored, against the request path)";
const pathRegex = z
  .string(REGEX)
  .min(1, REGEX)
  .refine((text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  }, REGEX);

const positiveInt = (what: string) => z.number(what).int(what).positive(what);

/** `method_actions` of ignored and white_list entries: pass the request on unchanged. */
const passOn = z.strictObject({
  action: z.literal("no_action"),
  code: z.literal(200),
  data: z.literal(""),
  headers: z.strictObject({}),
});
const methodActions = z.partialRecord(method, passOn).refine((actions) => Object.keys(actions).length > 0, {
  message: "at least one method (an empty method_actions matches no request)",
});

const extendedPaths = z.strictObject({
  /** Routes that skip authentication (sign-up, login), per method. */
  ignored: z.array(z.strictObject({ path: pathRegex, method_actions: methodActions })).optional(),
  /** With entries, every request outside them is refused with 403. */
  white_list: z.array(z.strictObject({ path: pathRegex, method_actions: methodActions })).optional(),
  /**
   * Refused for every method: an entry without method_actions applies to all of them (an empty
   * method_actions would apply to none, so the field is not allowed here).
   */
  black_list: z.array(z.strictObject({ path: pathRegex })).optional(),
  size_limits: z
    .array(z.strictObject({ path: pathRegex, method, size_limit: positiveInt("a size in bytes") }))
    .optional(),
  circuit_breakers: z
    .array(
      z.strictObject({
        path: pathRegex,
        method,
        threshold_percent: z.number().gt(0).max(1, "a fraction of failed requests, above 0 and at most 1"),
        samples: positiveInt("the number of requests sampled before the breaker may trip"),
        return_to_service_after: positiveInt("seconds"),
      }),
    )
    .optional(),
  hard_timeouts: z
    .array(z.strictObject({ path: pathRegex, method, timeout: positiveInt("seconds") }))
    .optional(),
});

const sessionCheck = z.strictObject({
  /** Where the session-check plugin asks whether a session still lives (session-service). */
  url: z.url({ protocol: /^https?$/, error: "an http(s) URL" }),
  /** How long it waits for the answer before refusing the request with 503. */
  timeout_ms: positiveInt("milliseconds"),
  /** The routes the plugin does not check: the same method and path as extended_paths.ignored. */
  public: z.array(z.strictObject({ method, path: pathRegex })),
});

/** A classic Tyk 2.9.4 API definition, limited to the fields Azora uses. */
export const apiDefinitionSchema = z.strictObject({
  name: z.string().min(1),
  api_id: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
  org_id: z.string().min(1),
  active: z.boolean(),
  use_keyless: z.boolean(),
  enable_jwt: z.boolean().optional(),
  jwt_signing_method: z.literal("hmac").optional(),
  jwt_source: z.base64("the base64 of the HMAC secret").min(1).optional(),
  jwt_identity_base_field: z.literal("sub").optional(),
  jwt_default_policies: z.array(z.string().min(1)).min(1).optional(),
  auth_configs: z
    .strictObject({ jwt: z.strictObject({ auth_header_name: z.literal("Authorization") }) })
    .optional(),
  global_rate_limit: z
    .strictObject({
      rate: positiveInt("requests per period"),
      per: positiveInt("the period in seconds"),
    })
    .optional(),
  custom_middleware: z
    .strictObject({
      // Go plugins, not JS (otto): Tyk 2.9.4 copies the whole JS VM for each call of a JS
      // middleware (about 40 ms more at the median at 40 req/s, kind/base/gateway/README.md).
      driver: z.literal("goplugin"),
      post: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[A-Z]\w*$/, "the name of the exported Go function the plugin defines"),
            path: z
              .string()
              .regex(
                /^\/opt\/tyk-gateway\/plugins\/[\w-]+\.so$/,
                "a plugin of the image: /opt/tyk-gateway/plugins/NAME.so",
              ),
          }),
        )
        .min(1),
    })
    .optional(),
  config_data: z.strictObject({ session_check: sessionCheck }).optional(),
  version_data: z.strictObject({
    not_versioned: z.literal(true),
    versions: z.strictObject({
      Default: z.strictObject({
        name: z.literal("Default"),
        use_extended_paths: z.literal(true),
        extended_paths: extendedPaths,
      }),
    }),
  }),
  proxy: z.strictObject({
    listen_path: z
      .string()
      .regex(/^\/[a-z0-9/-]*[a-z0-9]$/, "a path such as /api/users, without a trailing slash"),
    target_url: z.url({ protocol: /^https?$/, error: "an http(s) URL" }),
    strip_listen_path: z.boolean(),
  }),
});
export type ApiDefinition = z.infer<typeof apiDefinitionSchema>;

/** policies.json: policies by id, limited to the fields Azora uses. */
export const policiesSchema = z.record(
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    name: z.string().min(1),
    org_id: z.string().min(1),
    active: z.boolean(),
    rate: positiveInt("requests per period"),
    per: positiveInt("the period in seconds"),
    quota_max: z.number().int().min(-1, "-1 (no quota) or a number of requests"),
    quota_renewal_rate: positiveInt("seconds"),
    access_rights: z.record(
      z.string(),
      z.strictObject({
        api_id: z.string().min(1),
        api_name: z.string().min(1),
        versions: z.array(z.literal("Default")).length(1),
      }),
    ),
  }),
);
export type Policies = z.infer<typeof policiesSchema>;

/** The few tyk.conf facts checked here; the rest of the file is Tyk's business. */
const tykConfSchema = z.looseObject({
  listen_port: z.number().int(),
  // Required: the contract suite times the answer for a dead upstream by it.
  proxy_default_timeout: positiveInt("seconds"),
});
type TykConf = z.infer<typeof tykConfSchema>;

export interface GatewayConfig {
  apis: { file: string; definition: ApiDefinition }[];
  policies: Policies;
  /** tyk.conf's proxy_default_timeout: how long the gateway waits for an upstream's answer. */
  upstreamTimeoutMs: number;
}

/** The keys an object schema at `path` allows (to say what a misspelt key should have been). */
function knownKeys(schema: z.ZodType, path: PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const step of [...path, null]) {
    for (;;) {
      if (node instanceof z.ZodOptional) node = node.unwrap();
      else if (node instanceof z.ZodPipe) node = node.in;
      else break;
    }
    if (step === null) break;
    if (node instanceof z.ZodObject) node = node.shape[String(step)];
    else if (node instanceof z.ZodArray) node = node.element;
    else if (node instanceof z.ZodRecord) node = node.valueType;
    else return [];
  }
  if (node instanceof z.ZodObject) return Object.keys(node.shape);
  if (node instanceof z.ZodRecord && node.keyType instanceof z.ZodEnum)
    return node.keyType.options.map(String);
  return [];
}

/** Levenshtein distance, to suggest the field a misspelt one was meant to be. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function unknownKeyMessage(key: string, known: string[]): string {
  const close = known
    .map((k) => [k, distance(key, k)] as const)
    .filter(([, d]) => d <= Math.max(2, Math.floor(key.length / 4)))
    .sort((x, y) => x[1] - y[1])[0];
  const hint = close ? ` (did you mean ${close[0]}?)` : "";
  const expected = known.length > 0 ? `; expected one of: ${known.join(", ")}` : "";
  return `unknown field, which Tyk would ignore without a word${hint}${expected}`;
}

class Problems {
  readonly list: string[] = [];
  add(file: string, field: string, message: string, line?: number) {
    this.list.push(`${file}${line ? `:${line}` : ""}: ${field}: ${message}`);
  }
}

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
};

/**
 * Parses `text` (strict JSON) and validates it; problems are recorded as `file:line: field:
 * message`. Returns the data, or undefined when it is not valid.
 */
function validateJson<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  problems: Problems,
): z.infer<S> | undefined {
  try {
    JSON.parse(text);
  } catch (error) {
    problems.add(file, "(file)", `not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
  const lines = new LineCounter();
  // JSON is YAML: the YAML parser gives the positions (and refuses duplicate keys, which Go's
  // decoder would silently resolve to the last one).
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const e of doc.errors)
    problems.add(file, "(file)", e.message.split("\n")[0] ?? e.message, lines.linePos(e.pos[0]).line);
  if (doc.errors.length > 0) return undefined;
  const result = schema.safeParse(doc.toJS(), { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
    for (const key of keys) {
      const path = key === undefined ? issue.path : [...issue.path, key];
      let line: number | undefined;
      for (let depth = path.length; depth >= 0; depth--) {
        const node = doc.getIn(path.slice(0, depth).map(String), true);
        if (isNode(node) && node.range) {
          line = lines.linePos(node.range[0]).line;
          break;
        }
      }
      const field = path.length > 0 ? path.map(String).join(".") : "(top level)";
      let message = issue.message;
      if (key !== undefined) message = unknownKeyMessage(key, knownKeys(schema, issue.path));
      else if (issue.code === "invalid_type" && issue.input === undefined)
        message = `missing (expected ${issue.expected})`;
      problems.add(file, field, message, line);
    }
  }
  return undefined;
}

/**
 * Loads and checks the gateway configuration in `dir` (kind/base/gateway): every apis/*.json
 * (rendered with a dummy secret), policies.json and tyk.conf, each against its schema, then the
 * facts that span files, the Go plugins they name included (their sources in `pluginsDir`). Every
 * problem is reported at once, as a UserError naming file and field.
 */
export function checkApiDefinitions(dir: string, pluginsDir = GATEWAY_PLUGINS): GatewayConfig {
  const problems = new Problems();
  const apisDir = join(dir, "apis");
  const files = existsSync(apisDir)
    ? readdirSync(apisDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  if (files.length === 0) throw new UserError(`${shown(apisDir)}: no API definitions (*.json)`);

  const apis: { file: string; definition: ApiDefinition; raw: Record<string, unknown> }[] = [];
  for (const name of files) {
    const path = join(apisDir, name);
    const file = shown(path);
    const text = readFileSync(path, "utf8");
    for (const [, variable] of text.matchAll(/\$\{([^}]*)\}/g)) {
      if (`\${${variable}}` !== JWT_SECRET_PLACEHOLDER)
        problems.add(
          file,
          `\${${variable}}`,
          `unknown placeholder; the only one rendered is ${JWT_SECRET_PLACEHOLDER}`,
        );
    }
    const definition = validateJson(
      file,
      renderApiDefinition(text, "dummy-secret"),
      apiDefinitionSchema,
      problems,
    );
    if (definition) apis.push({ file, definition, raw: JSON.parse(text) as Record<string, unknown> });
  }

  const policiesPath = join(dir, "policies.json");
  const policiesFile = shown(policiesPath);
  let policies: Policies | undefined;
  if (existsSync(policiesPath))
    policies = validateJson(policiesFile, readFileSync(policiesPath, "utf8"), policiesSchema, problems);
  else problems.add(policiesFile, "(file)", "missing");

  const confPath = join(dir, "tyk.conf");
  const confFile = shown(confPath);
  const confText = existsSync(confPath) ? readFileSync(confPath, "utf8") : undefined;
  if (confText === undefined) problems.add(confFile, "(file)", "missing");
  const conf = confText === undefined ? undefined : validateJson(confFile, confText, tykConfSchema, problems);
  if (conf) {
    const raw = JSON.parse(confText as string) as Record<string, unknown>;
    for (const secret of ["secret", "node_secret"])
      if (secret in raw)
        problems.add(confFile, secret, "must not be in the file: set TYK_GW_SECRET from a Secret");
    const storage = raw.storage as Record<string, unknown> | undefined;
    if (storage && "password" in storage)
      problems.add(
        confFile,
        "storage.password",
        "must not be in the file: set TYK_GW_STORAGE_PASSWORD from a Secret",
      );
  }

  // Checks that need a thing to exist (an API a policy names) only
  // speak when every definition loaded: a broken file is reported once, not again through them.
  const complete = apis.length === files.length;
  if (policies) checkPolicies(policiesFile, policies, apis, complete, problems);
  checkApis(pluginsDir, apis, problems);

  if (problems.list.length > 0)
    throw new UserError(`invalid gateway configuration in ${shown(dir)}\n  ${problems.list.join("\n  ")}`);
  return {
    apis: apis.map(({ file, definition }) => ({ file, definition })),
    policies: policies as Policies,
    upstreamTimeoutMs: (conf as TykConf).proxy_default_timeout * 1000,
  };
}

/** How long the gateway waits on the API at `listenPath`: for its upstream, for the session check. */
export function gatewayWaits(
  config: GatewayConfig,
  listenPath: string,
): { upstreamMs: number; sessionCheckMs?: number } {
  const api = config.apis.find((a) => a.definition.proxy.listen_path === listenPath)?.definition;
  if (!api) throw new UserError(`the gateway has no API at ${listenPath}`);
  return { upstreamMs: config.upstreamTimeoutMs, sessionCheckMs: api.config_data?.session_check.timeout_ms };
}

type LoadedApi = { file: string; definition: ApiDefinition; raw: Record<string, unknown> };

function checkApis(pluginsDir: string, apis: LoadedApi[], problems: Problems) {
  const byListenPath = new Map<string, string>();
  const byId = new Map<string, string>();
  for (const { file, definition: api, raw } of apis) {
    const other = byListenPath.get(api.proxy.listen_path);
    if (other)
      problems.add(file, "proxy.listen_path", `${api.proxy.listen_path} is also the listen_path of ${other}`);
    else byListenPath.set(api.proxy.listen_path, file);
    const sameId = byId.get(api.api_id);
    if (sameId) problems.add(file, "api_id", `${api.api_id} is also the api_id of ${sameId}`);
    else byId.set(api.api_id, file);

    const paths = api.version_data.versions.Default.extended_paths;
    const lp = api.proxy.listen_path;
    if (api.enable_jwt) {
      if (api.use_keyless) problems.add(file, "use_keyless", "must be false when enable_jwt is true");
      for (const field of ["jwt_signing_method", "jwt_identity_base_field", "jwt_default_policies"] as const)
        if (api[field] === undefined) problems.add(file, field, "missing (required when enable_jwt is true)");
      if (raw.jwt_source !== JWT_SECRET_PLACEHOLDER)
        problems.add(
          file,
          "jwt_source",
          `must be the placeholder ${JWT_SECRET_PLACEHOLDER} (the secret differs per environment and is rendered in)`,
        );
    } else if (!api.use_keyless) {
      problems.add(file, "use_keyless", "must be true for an API without enable_jwt");
    }
    if (!api.enable_jwt && JSON.stringify(raw).includes(JWT_SECRET_PLACEHOLDER))
      problems.add(file, "jwt_source", `${JWT_SECRET_PLACEHOLDER} belongs only in jwt_source of a JWT API`);

    if (!api.global_rate_limit)
      problems.add(file, "global_rate_limit", "missing (every API on the public port needs a ceiling)");
    // /api/users also matches /api/users../x; this entry refuses everything after the listen path
    // that does not start a new segment.
    const guard = `^${lp}[^/]`;
    if (!paths.black_list?.some((entry) => entry.path === guard))
      problems.add(
        file,
        "version_data.versions.Default.extended_paths.black_list",
        `must contain { "path": "${guard}" }`,
      );
    for (const [i, entry] of (paths.ignored ?? []).entries())
      if (!entry.path.startsWith(`^${lp}`))
        problems.add(
          file,
          `version_data.versions.Default.extended_paths.ignored.${i}.path`,
          `must start with ^${lp} (Tyk matches ignored paths against the whole request path)`,
        );

    const ignored = (paths.ignored ?? [])
      .flatMap((entry) => Object.keys(entry.method_actions).map((m) => `${m} ${entry.path}`))
      .sort();
    if (api.custom_middleware) {
      const check = api.config_data?.session_check;
      if (!check)
        problems.add(file, "config_data.session_check", "missing (the session-check middleware reads it)");
      else {
        const unchecked = check.public.map((route) => `${route.method} ${route.path}`).sort();
        if (JSON.stringify(unchecked) !== JSON.stringify(ignored))
          problems.add(
            file,
            "config_data.session_check.public",
            `must list the ignored routes exactly (${ignored.join(", ") || "none"}), found: ${unchecked.join(", ") || "none"}`,
          );
      }
      // Tyk 2.9.4 logs an error and runs the API without a plugin it cannot load or whose
      // function it cannot find: the check would be skipped, so both are checked here.
      for (const [i, mw] of api.custom_middleware.post.entries()) {
        const source = join(pluginsDir, basename(mw.path, ".so"));
        if (!existsSync(source)) {
          problems.add(file, `custom_middleware.post.${i}.path`, `no such plugin in ${shown(pluginsDir)}`);
          continue;
        }
        const signature = new RegExp(
          `^func ${mw.name}\\(\\w+ http\\.ResponseWriter, \\w+ \\*http\\.Request\\) \\{`,
          "m",
        );
        const defines = readdirSync(source)
          .filter((name) => name.endsWith(".go"))
          .some((name) => signature.test(readFileSync(join(source, name), "utf8")));
        if (!defines)
          problems.add(
            file,
            `custom_middleware.post.${i}.name`,
            `${shown(source)} defines no func ${mw.name}(http.ResponseWriter, *http.Request)`,
          );
      }
    } else if (api.config_data) {
      problems.add(file, "config_data", "only read by custom_middleware, which this API does not have");
    }
  }
}

function checkPolicies(
  file: string,
  policies: Policies,
  apis: LoadedApi[],
  complete: boolean,
  problems: Problems,
) {
  for (const [key, policy] of Object.entries(policies))
    if (policy.id !== key) problems.add(file, `${key}.id`, `must equal the key ${key}`);
  for (const { file: apiFile, definition: api } of apis) {
    if (!api.enable_jwt) continue;
    for (const name of api.jwt_default_policies ?? []) {
      const policy = policies[name];
      if (!policy) {
        problems.add(apiFile, "jwt_default_policies", `${name} is not a policy in ${file}`);
        continue;
      }
      const right = policy.access_rights[api.api_id];
      if (!right || right.api_id !== api.api_id)
        problems.add(
          file,
          `${name}.access_rights`,
          `must grant ${api.api_id} (${apiFile} names this policy)`,
        );
      if (policy.org_id !== api.org_id)
        problems.add(
          file,
          `${name}.org_id`,
          `must be ${api.org_id}, the org_id of ${apiFile} (Tyk refuses the policy otherwise)`,
        );
    }
  }
  const jwtApis = new Set(apis.filter((a) => a.definition.enable_jwt).map((a) => a.definition.api_id));
  for (const [name, policy] of Object.entries(policies))
    for (const [id, right] of Object.entries(policy.access_rights)) {
      if (right.api_id !== id)
        problems.add(file, `${name}.access_rights.${id}.api_id`, `must equal the key ${id}`);
      else if (complete && !jwtApis.has(id))
        problems.add(file, `${name}.access_rights.${id}`, "names no JWT API in apis/");
    }
}
