/**
 * The host runtime: drives the processor's top level through its register map and external
 * memory (docs/top.md). Build a `HostSession` on a `MemImage`, place tensors (tensors.ts), submit
 * jobs (session.job, or the FC helpers in fc.ts), run the program on a backend (the golden model
 * at register level, or the RTL in a simulator) and `check` the run.
 */
export * from "./chain.ts";
export * from "./context.ts";
export * from "./fc.ts";
export * from "./golden.ts";
export * from "./golden-backend.ts";
export * from "./job.ts";
export * from "./layout.ts";
export * from "./memory.ts";
export * from "./program.ts";
export * from "./random-fc.ts";
export * from "./runner.ts";
export * from "./session.ts";
export * from "./tensors.ts";
export * from "./layer-bench.ts";
