import { type CpuProfile, ownerOf, ownerSamples, selfSamples } from './cpu-profile.js';

const frame = (functionName: string, url = 'file:///a.js', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

describe('selfSamples', () => {
  it('charges each sample to the node on top, adds up a function over nodes, leaves idle out', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('decode', 'file:///json.js', 9) },
        // The same function reached by another path: another node, one function.
        { id: 4, callFrame: frame('decode', 'file:///json.js', 9) },
        { id: 5, callFrame: frame('', 'file:///b.js', 2) },
      ],
      samples: [3, 2, 4, 5, 3, 2],
    };
    expect(selfSamples(profile)).toEqual({
      total: 4,
      functions: [
        { functionName: 'decode', url: 'file:///json.js', line: 10, samples: 3 },
        { functionName: '(anonymous)', url: 'file:///b.js', line: 3, samples: 1 },
      ],
    });
  });

  it('tells functions of the same name apart by file and line', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('encode', 'file:///json.js', 1) },
        { id: 2, callFrame: frame('encode', 'file:///protobuf.js', 1) },
      ],
      samples: [1, 2, 2],
    };
    expect(selfSamples(profile).functions.map((f) => [f.url, f.samples])).toEqual([
      ['file:///protobuf.js', 2],
      ['file:///json.js', 1],
    ]);
  });
});

describe('ownerOf', () => {
  const owner = (url: string, functionName = 'f', line = 1) => ownerOf({ url, functionName, line });

  it('names the innermost package of a pnpm path, scoped or not', () => {
    expect(
      owner('file:///r/node_modules/.pnpm/protobufjs@8.8.1/node_modules/protobufjs/src/reader.js'),
    ).toBe('protobufjs');
    expect(
      owner(
        'file:///r/node_modules/.pnpm/@msgpack+msgpack@3.1.3/node_modules/@msgpack/msgpack/dist.cjs/Decoder.cjs',
      ),
    ).toBe('@msgpack/msgpack');
  });

  it('tells our packages, the harness, Node and V8 apart', () => {
    expect(owner('file:///r/packages/codecs/dist/esm/json.js')).toBe('@rpcx/codecs');
    expect(owner('file:///r/apps/bench/dist/load/servers.js')).toBe('bench harness');
    expect(owner('node:internal/encoding')).toBe('node internals');
    expect(owner('', '(garbage collector)')).toBe('garbage collector');
    expect(owner('', '(program)')).toBe('V8 (program)');
    expect(owner('', 'writeBuffer', 0)).toBe('V8 builtins');
    expect(owner('', '', 3)).toBe('generated code (new Function)');
  });
});

describe('ownerSamples', () => {
  it('adds up the functions of each owner, most first', () => {
    const functions = [
      { functionName: 'a', url: 'file:///r/packages/core/a.js', line: 1, samples: 2 },
      { functionName: 'b', url: 'node:net', line: 1, samples: 5 },
      { functionName: 'c', url: 'file:///r/packages/core/c.js', line: 1, samples: 1 },
    ];
    expect(ownerSamples(functions)).toEqual([
      { owner: 'node internals', samples: 5 },
      { owner: '@rpcx/core', samples: 3 },
    ]);
  });
});
