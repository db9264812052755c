// The package's public entry points: package.json's `exports` map resolves
// `btfsnoop`, `btfsnoop/btf` and `btfsnoop/cli` by name (as an installed
// dependency would) to the built modules and their type declarations, and the
// README's BTF library example runs through it. Needs the build (npm test
// builds first).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, string | { types: string; default: string }>; types: string };
const VMLINUX = join(ROOT, "test/fixtures/vmlinux-6.18/vmlinux.btf.gz");

let dir: string;

beforeAll(() => {
  expect(existsSync(join(ROOT, "dist/src/btf/index.js")), "dist/ is missing: run npm run build first").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "btfsnoop-exports-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "btfsnoop"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("package.json exports", () => {
  it("maps every entry point to a built module and its .d.ts", () => {
    expect(Object.keys(pkg.exports)).toEqual([".", "./btf", "./cli", "./loader", "./kernel", "./package.json"]);
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === "string") {
        expect(existsSync(join(ROOT, target)), `${key} -> ${target}`).toBe(true);
        continue;
      }
      expect(Object.keys(target), key).toEqual(["types", "default"]); // "types" must come first to be seen
      expect(existsSync(join(ROOT, target.default)), `${key} -> ${target.default}`).toBe(true);
      expect(existsSync(join(ROOT, target.types)), `${key} -> ${target.types}`).toBe(true);
      expect(target.types).toBe(target.default.replace(/\.js$/, ".d.ts"));
    }
    expect(existsSync(join(ROOT, pkg.types))).toBe(true);
  });

  it("node resolves btfsnoop/btf by name and the README's example gives what the README says", () => {
    writeFileSync(
      join(dir, "readme.mjs"),
      `import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { parseBtf, findFunc, findMember, cTypeName, BtfKind } from "btfsnoop/btf";
import * as root from "btfsnoop";
import { main } from "btfsnoop/cli";
const bytes = gunzipSync(readFileSync(${JSON.stringify(VMLINUX)}));
const btf = parseBtf(bytes);
const skb = btf.findByNameKind("sk_buff", BtfKind.STRUCT);
const m = findMember(btf, skb, "dev");
console.log(m.bitsOffset, m.path.map((p) => p.name || "(anon)").join(","));
console.log(cTypeName(btf, findFunc(btf, "ip_send_skb").id));
console.log(root.parseBtf === parseBtf, typeof main);
console.log(import.meta.resolve("btfsnoop/btf").replace(${JSON.stringify(`file://${ROOT}`)}, "ROOT"));
`,
    );
    const out = execFileSync(process.execPath, ["readme.mjs"], { cwd: dir, encoding: "utf8" });
    expect(out).toBe("128 (anon),(anon),(anon),dev\nint ip_send_skb(struct net *, struct sk_buff *)\ntrue function\nROOT/dist/src/btf/index.js\n");
  });

  it("deep imports outside the map are refused (only the exports are public)", () => {
    writeFileSync(join(dir, "deep.mjs"), `import("btfsnoop/src/btf/index.js").then(() => console.log("loaded"), (e) => console.log(e.code));\n`);
    expect(execFileSync(process.execPath, ["deep.mjs"], { cwd: dir, encoding: "utf8" })).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED\n");
  });

  it("TypeScript finds the declarations through the map (a typed consumer compiles; a type error is caught)", () => {
    writeFileSync(
      join(dir, "consumer.ts"),
      `import { parseBtf, findFunc, cTypeName, BtfKind, type Btf } from "btfsnoop/btf";
import { main } from "btfsnoop/cli";
const btf: Btf = parseBtf(new Uint8Array(0));
const f = findFunc(btf, "ip_send_skb");
const name: string = cTypeName(btf, f!.id);
const kind: number = BtfKind.STRUCT;
const code: Promise<number> = main(["info", "x"]);
// @ts-expect-error findFunc takes a name, not a number
findFunc(btf, 1);
export { name, kind, code };
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
        files: ["consumer.ts"],
      }),
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    let out = "";
    try {
      out = execFileSync(process.execPath, [tsc, "-p", "tsconfig.json", "--listFiles"], { cwd: dir, encoding: "utf8" });
    } catch (e) {
      throw new Error(`tsc failed:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
    }
    expect(out).toContain(join(ROOT, "dist/src/btf/index.d.ts"));
    expect(out).toContain(join(ROOT, "dist/src/cli/main.d.ts"));
  });
});
