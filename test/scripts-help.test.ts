/**
 * Every npm script that runs a TypeScript program answers --help with its usage (exit 0) and an
 * unknown flag with yargs' usage and a non-zero exit code, without running anything.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../generator/emit/render.ts";

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};
const programs = Object.entries(pkg.scripts)
  .map(([name, cmd]) => [name, /^tsx (scripts\/\S+\.ts)$/.exec(cmd)?.[1]] as const)
  .filter((x): x is readonly [string, string] => x[1] !== undefined);

const run = (file: string, args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ["--import", "tsx", file, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });

describe("npm scripts", () => {
  it("has programs to check", () => {
    expect(programs.length).toBeGreaterThanOrEqual(10);
  });
  it.each(programs)(
    "npm run %s: --help and a bad flag",
    (name, file) => {
      const h = run(file, ["--help"]);
      expect(h.status, `${name} --help: ${String(h.stderr)}`).toBe(0);
      expect(String(h.stdout)).toMatch(/Options:/);
      expect(String(h.stdout)).toMatch(/--help/);
      const bad = run(file, ["--no-such-flag-anywhere"]);
      expect(bad.status, `${name} with a bad flag`).not.toBe(0);
      expect(String(bad.stderr)).toMatch(/Unknown argument/);
      expect(String(bad.stderr)).toMatch(/Options:/);
    },
    120_000,
  );
});
