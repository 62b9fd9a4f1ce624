/**
 * A host session of one FC layer's FP, BP and WG on random operands: the job mix the board tests
 * send over the UART (test/sim/board*.sim.test.ts). W is dense; X, dY and the ReLU mask have the
 * densities given; codes spread over 6 binades.
 */
import { Rng } from "../../generator/model/rng.ts";
import { randomMatrix } from "../core.ts";
import type { HostContext } from "./context.ts";
import { type FcStepOptions, fcSteps } from "./fc.ts";
import { MemImage } from "./memory.ts";
import { HostSession } from "./session.ts";

export interface RandomFcLayer {
  /** Output features, input features, batch. */
  M: number;
  K: number;
  N: number;
  /** Fraction of non-zero elements of X, of dY, and of 1 bits of the ReLU mask. */
  xDensity: number;
  dyDensity: number;
  maskDensity: number;
}

/** The session (identity check, the layer's jobs, end) on a memory at `base` of `size` bytes. */
export function randomFcSession(
  ctx: HostContext,
  mem: { base: number; size: number },
  seed: number,
  f: RandomFcLayer,
  o: FcStepOptions,
): HostSession {
  const rng = new Rng(seed);
  const s = new HostSession(ctx, new MemImage({ base: mem.base, size: mem.size, seed, guard: 8 }));
  s.checkIdentity();
  const { M, K, N } = f;
  fcSteps(
    s,
    {
      M,
      K,
      N,
      w: randomMatrix(rng, M, K, 1, 6),
      xT: randomMatrix(rng, N, K, f.xDensity, 6),
      dyT: randomMatrix(rng, N, M, f.dyDensity, 6),
      maskX: new Uint8Array(N * K).map(() => (rng.bernoulli(f.maskDensity) ? 1 : 0)),
    },
    o,
  );
  s.end();
  return s;
}
