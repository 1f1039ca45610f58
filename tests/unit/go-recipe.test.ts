import { createHash, randomUUID } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.ts";
import { goBuildSettings, goContext, goTools, goVersion } from "../../src/images/go-build.ts";
import { contextKey, goModuleKey, imageKey } from "../../src/images/recipe-key.ts";
import { repoRoot } from "../../src/paths.ts";

const GO = "go version go1.26.8 linux/amd64";
const made: string[] = [];
/** A new temporary folder, removed after the file's tests. */
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const tykModule = () => {
  const dir = join(temp("devstack-go-key-"), "gateway");
  cpSync(join(repoRoot, "images/tyk/gateway"), dir, { recursive: true });
  return dir;
};
const hasGo = (await execa("go", ["version"], { reject: false })).exitCode === 0;

/** Runs `body` with a PATH on which there is no `go` (nor anything else). */
async function withoutGoOnPath<T>(body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = temp("devstack-empty-path-");
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

describe("the key of an image compiled from a Go module", () => {
  it("changes with go.sum, with main.go, with a plugin and with the toolchain, and only then", async () => {
    const dir = tykModule();
    const settings = await goBuildSettings(dir);
    const key = goModuleKey(dir, GO, settings);
    expect(goModuleKey(dir, GO, settings)).toBe(key);

    appendFileSync(join(dir, "go.sum"), "example.org/extra v1.0.0 h1:AAAA=\n");
    const sumChanged = goModuleKey(dir, GO, settings);
    expect(sumChanged).not.toBe(key);

    writeFileSync(join(dir, "main.go"), "package main\n\nfunc main() {}\n");
    const mainChanged = goModuleKey(dir, GO, settings);
    expect(mainChanged).not.toBe(sumChanged);

    appendFileSync(join(dir, "plugins/session-check/main.go"), "\n// changed\n");
    expect(goModuleKey(dir, GO, settings)).not.toBe(mainChanged);

    const other = tykModule();
    expect(goModuleKey(other, GO, settings)).toBe(key); // another checkout, same files
    expect(goModuleKey(other, "go version go1.27.0 linux/amd64", settings)).not.toBe(key);
  });

  it("builds a module with plugins with cgo, one without statically, and says so in the key", async () => {
    const tyk = await goBuildSettings(tykModule());
    expect(tyk).toMatch(/^CGO_ENABLED=1 .* -trimpath -mod=readonly cc=\S/);
    const plain = temp("devstack-go-plain-");
    writeFileSync(join(plain, "go.mod"), "module example.org/plain\n\ngo 1.22\n");
    const settings = await goBuildSettings(plain);
    expect(settings).toMatch(
      /^CGO_ENABLED=0 GOOS=linux GOARCH=\w+ GOFLAGS=-buildvcs=false GOTOOLCHAIN=local -trimpath -mod=readonly$/,
    );
    expect(goModuleKey(plain, GO, settings)).not.toBe(goModuleKey(plain, GO, tyk));
  });

  it("is computed without `go`: no toolchain is a key of its own, not an error", async () => {
    const dir = tykModule();
    const version = await withoutGoOnPath(() => goVersion());
    expect(version).toBeUndefined();
    const settings = await goBuildSettings(dir);
    const key = await withoutGoOnPath(async () => goModuleKey(dir, version, settings));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(goModuleKey(dir, GO, settings));
  });

  it("joins the image key, which stays as before for images without a Go module", async () => {
    const context = temp("devstack-go-ctx-");
    writeFileSync(join(context, "Dockerfile"), "ARG BASE\nFROM $BASE\n");
    const before = createHash("sha256")
      .update(`rootfs:1\n${contextKey(context)}`)
      .digest("hex");
    expect(imageKey("rootfs:1", context)).toBe(before);
    const module = tykModule();
    const compiled = goModuleKey(module, GO, await goBuildSettings(module));
    expect(imageKey("rootfs:1", context, compiled)).not.toBe(before);
  });
});

describe("compiling a recipe's Go module", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it("without `go` on PATH: names image, step and what to install", async () => {
    const context = join(repoRoot, "images/tyk");
    const error = await withoutGoOnPath(() =>
      goContext("tyk", context, "images/tyk/gateway", () => {}).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      "image 'tyk', step 'go build images/tyk/gateway': no `go` on PATH",
    );
    expect((error as UserError).hint).toMatch(/^Install Go 1\.26\.0 or newer .* on PATH/);
  });

  it("names a folder without go.mod", async () => {
    const error = await goContext("tyk", tmpdir(), tmpdir(), () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /^image 'tyk': recipe\.go '.*' is not a Go module \(no go\.mod in it\)$/,
    );
  });

  it.skipIf(!hasGo)("a compile failure shows the last lines of go's output", async () => {
    const root = temp("devstack-go-broken-");
    const module = join(root, "main");
    mkdirSync(module);
    writeFileSync(join(module, "go.mod"), "module example.org/broken\n\ngo 1.22\n");
    writeFileSync(join(module, "main.go"), "package main\n\nfunc main() { notDefined() }\n");
    const error = await goContext("broken", module, module, () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`image 'broken', step 'go build ${module}': go build failed`);
    expect((error as UserError).hint).toMatch(/go build said:\n.*main\.go:3:\d+: undefined: notDefined/s);
  });

  it.skipIf(!hasGo)("a module that compiles lands in a context next to the Dockerfile as `app`", async () => {
    const root = temp("devstack-go-ok-");
    const module = join(root, "main");
    mkdirSync(module);
    writeFileSync(join(root, "Dockerfile"), "ARG BASE\nFROM $BASE\nCOPY app /app\n");
    writeFileSync(join(module, "go.mod"), "module example.org/ok\n\ngo 1.22\n");
    // A fresh marker each run, so that go compiles the package (a cached one is not listed by -v).
    const marker = `compiled ${randomUUID()}`;
    writeFileSync(join(module, "main.go"), `package main\n\nfunc main() { println("${marker}") }\n`);
    const lines: string[] = [];
    const built = await goContext("ok", root, module, (line) => lines.push(line));
    cleanups.push(built.cleanup);
    const run = await execa(join(built.dir, "app"), { reject: false, all: true });
    expect(run.all).toBe(marker);
    expect(lines).toContain("go build: example.org/ok");
    const file = await execa("file", [join(built.dir, "app")], { reject: false });
    if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);
  });

  it.skipIf(!hasGo)(
    "a module's plugins land in plugins/ as NAME.so, loadable by its binary (tags file)",
    async () => {
      const root = temp("devstack-go-plugins-");
      const module = join(root, "host");
      mkdirSync(join(module, "plugins", "greeter"), { recursive: true });
      writeFileSync(join(module, "go.mod"), "module example.org/host\n\ngo 1.22\n");
      // The binary only loads plugins when built with the tag, as Tyk's goplugin tag does.
      writeFileSync(join(module, "tags"), "# the loader\nwithplugins\n");
      writeFileSync(
        join(module, "main.go"),
        [
          "//go:build withplugins",
          "",
          "package main",
          "",
          'import ("fmt"; "os"; "plugin")',
          "",
          "func main() {",
          "\tp, err := plugin.Open(os.Args[1])",
          '\tif err != nil { fmt.Println("open:", err); os.Exit(1) }',
          '\tgreet, err := p.Lookup("Greet")',
          '\tif err != nil { fmt.Println("lookup:", err); os.Exit(1) }',
          "\tfmt.Println(greet.(func() string)())",
          "}",
        ].join("\n"),
      );
      const marker = randomUUID();
      writeFileSync(
        join(module, "plugins", "greeter", "main.go"),
        `package main\n\nfunc Greet() string { return "${marker}" }\n\nfunc main() {}\n`,
      );
      const built = await goContext("host", root, module, () => {});
      cleanups.push(built.cleanup);
      const run = await execa(join(built.dir, "app"), [join(built.dir, "plugins", "greeter.so")], {
        reject: false,
        all: true,
      });
      expect(run.all).toBe(marker);
    },
  );

  it("reads the commands a module declares as tools: blocks, single lines, comments", () => {
    const goMod = [
      "module example.org/wrapper",
      "",
      "go 1.24.0",
      "",
      "tool example.org/single",
      "",
      "tool (",
      "\tk8s.io/kubernetes/cmd/kubelet // the node agent",
      "\t// k8s.io/kubernetes/cmd/kubeadm",
      "\tk8s.io/kubernetes/cmd/kubectl",
      ")",
      "",
      "require k8s.io/kubernetes v1.34.4 // tool is not this line's first word",
    ].join("\n");
    expect(goTools(goMod)).toEqual([
      "example.org/single",
      "k8s.io/kubernetes/cmd/kubelet",
      "k8s.io/kubernetes/cmd/kubectl",
    ]);
    expect(goTools("module example.org/plain\n\ngo 1.22\n")).toEqual([]);
  });

  it.skipIf(!hasGo)("a module's tools land in bin/, linked with its ldflags file", async () => {
    const root = temp("devstack-go-tools-");
    const module = join(root, "build");
    for (const name of ["hello", "bye"]) {
      mkdirSync(join(module, "cmd", name), { recursive: true });
      writeFileSync(
        join(module, "cmd", name, "main.go"),
        `package main\n\nvar stamp = "unstamped"\n\nfunc main() { println("${name} " + stamp) }\n`,
      );
    }
    writeFileSync(
      join(module, "go.mod"),
      "module example.org/tools\n\ngo 1.24\n\ntool (\n\texample.org/tools/cmd/hello\n\texample.org/tools/cmd/bye\n)\n",
    );
    const stamp = randomUUID();
    writeFileSync(
      join(module, "ldflags"),
      `# the version the commands report\n-s -w\n-X main.stamp=${stamp}\n`,
    );
    const built = await goContext("tools", root, module, () => {});
    cleanups.push(built.cleanup);
    for (const name of ["hello", "bye"]) {
      const run = await execa(join(built.dir, "bin", name), { reject: false, all: true });
      expect(run.all).toBe(`${name} ${stamp}`);
    }
  });
});
