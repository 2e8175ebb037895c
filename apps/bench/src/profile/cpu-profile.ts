/**
 * Self samples per function from a V8 CPU profile (`node --cpu-prof`'s `.cpuprofile`, or what
 * node:inspector's `Profiler.stop` returns): each sample is charged to the function on top of the
 * stack. Idle samples are left out, so shares are shares of the CPU the process used.
 *
 * Samples are counted, not weighed by the time since the one before: on a busy machine the
 * sampling thread is late now and then, and the sample after such a gap would carry the whole
 * gap. Counted, shares of the same run repeated agree to a tenth of a per cent or so.
 */

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  /** Node id on top of the stack, one per sample. */
  samples: number[];
}

/** One function's self samples: every node of the call tree for it, added up. */
export interface FunctionSamples {
  /** `(anonymous)` for a function without a name. */
  functionName: string;
  url: string;
  /** 1-based, as an editor shows it. */
  line: number;
  samples: number;
}

export interface SelfSamples {
  /** Samples of the process at work (idle left out). */
  total: number;
  /** Most samples first. */
  functions: FunctionSamples[];
}

export function selfSamples(profile: CpuProfile): SelfSamples {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, FunctionSamples>();
  let total = 0;
  for (const id of profile.samples) {
    const frame = frames.get(id);
    if (frame === undefined || frame.functionName === '(idle)') continue;
    total++;
    const key = `${frame.functionName}\0${frame.url}\0${frame.lineNumber}`;
    let entry = byFunction.get(key);
    if (entry === undefined) {
      entry = {
        functionName: frame.functionName || '(anonymous)',
        url: frame.url,
        line: frame.lineNumber + 1,
        samples: 0,
      };
      byFunction.set(key, entry);
    }
    entry.samples++;
  }
  const functions = [...byFunction.values()].sort((a, b) => b.samples - a.samples);
  return { total, functions };
}
