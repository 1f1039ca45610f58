import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  apiDefinitionSchema,
  checkApiDefinitions,
  gatewayWaits,
  JWT_SECRET_PLACEHOLDER,
  renderApiDefinition,
} from "../../src/gateway/api-definition.ts";
import { kindDir } from "../../src/paths.ts";
import { userErrorFrom } from "../support/thrown.ts";

const committed = join(kindDir(), "base", "gateway");

// biome-ignore lint/suspicious/noExplicitAny: the tests break the files field by field on purpose
type Json = Record<string, any>;

/** A copy of the committed gateway folder with `file` (relative to it) changed by `edit`. */
function copyWith(file: string, edit: (json: Json) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "devstack-gateway-"));
  cpSync(committed, dir, { recursive: true });
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, "utf8")) as Json;
  edit(json);
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  return dir;
}

/** The problems checkApiDefinitions reports for a copy changed by `edit`, one per line. */
function problems(file: string, edit: (json: Json) => void, dir = copyWith(file, edit)): string[] {
  const error = userErrorFrom(() => checkApiDefinitions(dir));
  const [title, ...lines] = error.message.split("\n");
  expect(title).toBe(`invalid gateway configuration in ${dir}`);
  return lines.map((line) => line.trim().replaceAll(`${dir}/`, ""));
}

describe("gateway configuration (kind/base/gateway)", () => {
  it("the committed definitions, policies and tyk.conf pass", () => {
    const { apis, policies } = checkApiDefinitions(committed);
    const ids = apis.map((a) => a.definition.api_id).sort();
    expect(ids).toEqual(["azora-courses", "azora-enrollments", "azora-sessions", "azora-users"]);
    const jwt = apis.filter((a) => a.definition.enable_jwt).map((a) => a.definition.api_id);
    expect(jwt).toHaveLength(4);
    for (const id of jwt) expect(policies["azora-default"]?.access_rights[id]?.api_id).toBe(id);
    const users = apis.find((a) => a.definition.api_id === "azora-users")?.definition;
    expect(users?.proxy).toEqual({
      listen_path: "/api/users",
      target_url: "http://user-service:8080/users",
      strip_listen_path: true,
    });
  });

  it("rejects a misspelt field, naming file and field and suggesting the right one", () => {
    const found = problems("apis/users.json", (api) => {
      api.proxy.strip_listen_paths = api.proxy.strip_listen_path;
      delete api.proxy.strip_listen_path;
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^apis\/users\.json:\d+: proxy\.strip_listen_path: missing \(expected boolean\)$/,
      ),
      expect.stringMatching(
        /^apis\/users\.json:\d+: proxy\.strip_listen_paths: unknown field, which Tyk would ignore without a word \(did you mean strip_listen_path\?\); expected one of: listen_path, target_url, strip_listen_path$/,
      ),
    ]);
  });

  it("rejects a wrong type, naming file, line and field", () => {
    const dir = copyWith("apis/courses.json", (api) => {
      api.proxy.strip_listen_path = "yes";
    });
    const line =
      readFileSync(join(dir, "apis/courses.json"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes('"strip_listen_path": "yes"')) + 1;
    expect(line).toBeGreaterThan(1);
    expect(problems("apis/courses.json", () => {}, dir)).toEqual([
      `apis/courses.json:${line}: proxy.strip_listen_path: Invalid input: expected boolean, received string`,
    ]);
  });

  it("rejects an unknown top-level field", () => {
    const found = problems("apis/enrollments.json", (api) => {
      api.enable_coprocess_auth = true;
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^apis\/enrollments\.json:\d+: enable_coprocess_auth: unknown field, which Tyk would ignore without a word; expected one of: name, api_id, /,
    );
  });

  it("rejects a misspelt field deep in extended_paths", () => {
    const found = problems("apis/courses.json", (api) => {
      api.version_data.versions.Default.extended_paths.size_limits[0].sizelimit = 1;
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^apis\/courses\.json:\d+: version_data\.versions\.Default\.extended_paths\.size_limits\.0\.sizelimit: unknown field, which Tyk would ignore without a word \(did you mean size_limit\?\)/,
      ),
    ]);
  });

  it("takes Go plugins only, each a plugin of the image that defines the function named", () => {
    const found = problems("apis/users.json", (api) => {
      api.custom_middleware.post_key_auth = api.custom_middleware.post;
      api.custom_middleware.post = [
        { name: "SessionCheck", path: "/opt/tyk-gateway/plugins/session-chek.so" },
        { name: "SessionCheckk", path: "/opt/tyk-gateway/plugins/session-check.so" },
        { name: "sessionCheck", path: "/opt/tyk-gateway/middleware/session-check.js" },
      ];
    });
    expect(found).toEqual([
      "apis/users.json:35: custom_middleware.post.2.name: the name of the exported Go function the plugin defines",
      "apis/users.json:36: custom_middleware.post.2.path: a plugin of the image: /opt/tyk-gateway/plugins/NAME.so",
      expect.stringMatching(/custom_middleware\.post_key_auth: unknown field/),
    ]);
    const names = problems("apis/users.json", (api) => {
      api.custom_middleware.post = [
        { name: "SessionCheck", path: "/opt/tyk-gateway/plugins/session-chek.so" },
        { name: "SessionCheckk", path: "/opt/tyk-gateway/plugins/session-check.so" },
      ];
    });
    expect(names).toEqual([
      expect.stringMatching(
        /^apis\/users\.json: custom_middleware\.post\.0\.path: no such plugin in .*images\/tyk\/gateway\/plugins$/,
      ),
      expect.stringMatching(
        /^apis\/users\.json: custom_middleware\.post\.1\.name: .*plugins\/session-check defines no func SessionCheckk\(http\.ResponseWriter, \*http\.Request\)$/,
      ),
    ]);
  });

  it("requires a global rate limit on every public API", () => {
    const found = problems("apis/courses.json", (api) => {
      delete api.global_rate_limit;
    });
    expect(found).toEqual([
      "apis/courses.json: global_rate_limit: missing (every API on the public port needs a ceiling)",
    ]);
  });

  it("requires every listen_path to be unique", () => {
    const found = problems("apis/courses.json", (api) => {
      api.proxy.listen_path = "/api/users";
      api.version_data.versions.Default.extended_paths.black_list = [{ path: "^/api/users[^/]" }];
    });
    expect(found).toEqual([
      "apis/users.json: proxy.listen_path: /api/users is also the listen_path of apis/courses.json",
    ]);
  });

  it("requires every JWT API to be granted by its default policy", () => {
    const found = problems("policies.json", (policies) => {
      delete policies["azora-default"].access_rights["azora-enrollments"];
    });
    expect(found).toEqual([
      "policies.json: azora-default.access_rights: must grant azora-enrollments (apis/enrollments.json names this policy)",
    ]);
  });

  it("requires a policy's access rights to name existing JWT APIs", () => {
    const found = problems("policies.json", (policies) => {
      policies["azora-default"].access_rights["azora-gone"] = {
        api_id: "azora-gone",
        api_name: "gone",
        versions: ["Default"],
      };
    });
    expect(found).toEqual([
      "policies.json: azora-default.access_rights.azora-gone: names no JWT API in apis/",
    ]);
  });

  it("requires the secret placeholder in jwt_source, and nothing else to render", () => {
    const literal = problems("apis/sessions.json", (api) => {
      api.jwt_source = Buffer.from("a-real-secret").toString("base64");
    });
    expect(literal).toEqual([
      `apis/sessions.json: jwt_source: must be the placeholder ${JWT_SECRET_PLACEHOLDER} (the secret differs per environment and is rendered in)`,
    ]);
    const other = problems("apis/sessions.json", (api) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder nobody renders
      api.name = "${API_NAME}";
    });
    expect(other).toEqual([
      `apis/sessions.json: \${API_NAME}: unknown placeholder; the only one rendered is ${JWT_SECRET_PLACEHOLDER}`,
    ]);
  });

  it("requires the session check to skip exactly the routes Tyk does not authenticate", () => {
    const found = problems("apis/users.json", (api) => {
      api.config_data.session_check.public = [];
    });
    expect(found).toEqual([
      "apis/users.json: config_data.session_check.public: must list the ignored routes exactly (POST ^/api/users/?$), found: none",
    ]);
  });

  it("requires the guard that keeps /api/users../x away from the upstream", () => {
    const found = problems("apis/courses.json", (api) => {
      api.version_data.versions.Default.extended_paths.black_list = [];
    });
    expect(found).toEqual([
      'apis/courses.json: version_data.versions.Default.extended_paths.black_list: must contain { "path": "^/api/courses[^/]" }',
    ]);
  });

  it("keeps secrets out of tyk.conf", () => {
    const found = problems("tyk.conf", (conf) => {
      conf.secret = "s3cret";
      conf.storage.password = "pw";
    });
    expect(found).toEqual([
      "tyk.conf: secret: must not be in the file: set TYK_GW_SECRET from a Secret",
      "tyk.conf: storage.password: must not be in the file: set TYK_GW_STORAGE_PASSWORD from a Secret",
    ]);
  });

  it("requires an upstream timeout in tyk.conf, and the suite reads the waits from the files", () => {
    expect(problems("tyk.conf", (conf) => delete conf.proxy_default_timeout)).toEqual([
      "tyk.conf:1: proxy_default_timeout: missing (expected number)",
    ]);
    expect(problems("tyk.conf", (conf) => (conf.proxy_default_timeout = 0))).toEqual([
      expect.stringMatching(/^tyk\.conf:\d+: proxy_default_timeout: .*seconds/),
    ]);
    const slower = copyWith("apis/users.json", (api) => (api.config_data.session_check.timeout_ms = 3500));
    writeFileSync(
      join(slower, "tyk.conf"),
      readFileSync(join(committed, "tyk.conf"), "utf8").replace(
        /"proxy_default_timeout": \d+/,
        '"proxy_default_timeout": 7',
      ),
    );
    expect(gatewayWaits(checkApiDefinitions(slower), "/api/users")).toEqual({
      upstreamMs: 7000,
      sessionCheckMs: 3500,
    });
    const withoutCheck = copyWith("apis/courses.json", (api) => {
      delete api.config_data;
      delete api.custom_middleware;
    });
    expect(gatewayWaits(checkApiDefinitions(withoutCheck), "/api/courses").sessionCheckMs).toBeUndefined();
    expect(userErrorFrom(() => gatewayWaits(checkApiDefinitions(committed), "/api/nope")).message).toBe(
      "the gateway has no API at /api/nope",
    );
  });

  it("renders the placeholder as the base64 of the secret", () => {
    const template = readFileSync(join(committed, "apis/users.json"), "utf8");
    const rendered = JSON.parse(renderApiDefinition(template, "s3cret")) as Json;
    expect(rendered.jwt_source).toBe(Buffer.from("s3cret").toString("base64"));
    expect(apiDefinitionSchema.safeParse(rendered).success).toBe(true);
    expect(apiDefinitionSchema.safeParse(JSON.parse(template)).success).toBe(false);
  });
});
