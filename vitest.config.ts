import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Seconds each long test file took in a CI run on a fresh clone (1632f3e, 2 cores), used only
 * to order the files: the longest start first, so that the board fit (one nextpnr run of about
 * 15 minutes) runs beside the rest of the suite instead of after it on one core. Vitest's own
 * order puts small files last, and board-fit.test.ts is small. Files not listed are short and
 * keep Vitest's order after these.
 */
const LONG_FILES_SECONDS: Record<string, number> = {
  "test/fpga/board-fit.test.ts": 883,
  "test/sim/codec.sim.test.ts": 364,
  "test/sim/pe.sim.test.ts": 356,
  "test/sim/core.sim.test.ts": 335,
  "test/gen.test.ts": 288,
  "test/sim/board.sim.test.ts": 145,
  "test/sim/dma.sim.test.ts": 123,
  "test/fpga/synth.test.ts": 120,
  "test/sim/top.sim.test.ts": 118,
  "test/sim/train-hw.sim.test.ts": 103,
  "test/sim/board-link.sim.test.ts": 79,
  "test/sim/regfile.sim.test.ts": 72,
};

function expectedSeconds(spec: TestSpecification): number {
  const id = spec.moduleId.replaceAll("\\", "/");
  for (const [file, s] of Object.entries(LONG_FILES_SECONDS)) if (id.endsWith(file)) return s;
  return 0;
}

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    // a stable sort: files with the same estimate (all the short ones) keep Vitest's order
    return [...base].sort((a, b) => expectedSeconds(b) - expectedSeconds(a));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
    sequence: { sequencer: LongestFirst },
  },
});
