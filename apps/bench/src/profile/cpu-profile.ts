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

/** One owner's share of the samples: a package, Node's internals, V8's builtins, GC. */
export interface OwnerSamples {
  owner: string;
  samples: number;
}

/**
 * Who a function belongs to, by its script: `node_modules/<package>` (the innermost, pnpm keeps
 * packages under `.pnpm/...`), `@rpcx/<name>` for a `packages/<name>/` of this repository,
 * `bench harness` for `apps/bench`, `node internals` for `node:` scripts; without a script,
 * `garbage collector`, `V8 (program)`, `generated code` (functions made with `new Function`, as
 * protobufjs makes its encoders and decoders) or `V8 builtins` (a builtin called from JavaScript —
 * JSON.parse and friends — is charged to its caller by V8, so it shows under the caller's owner).
 */
export function ownerOf(f: Pick<FunctionSamples, 'functionName' | 'url' | 'line'>): string {
  const { url, functionName } = f;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'V8 (program)';
    // A script without a name but with lines: made at run time (protobufjs's generated coders).
    if (f.line > 0) return 'generated code (new Function)';
    return 'V8 builtins';
  }
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours) return `@rpcx/${ours[1]}`;
  if (url.includes('/apps/bench/')) return 'bench harness';
  return url.replace(/^.*\//, '');
}

/** Samples per owner (ownerOf), most first. */
export function ownerSamples(functions: readonly FunctionSamples[]): OwnerSamples[] {
  const byOwner = new Map<string, number>();
  for (const f of functions) {
    const owner = ownerOf(f);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + f.samples);
  }
  return [...byOwner]
    .map(([owner, samples]) => ({ owner, samples }))
    .sort((a, b) => b.samples - a.samples);
}
