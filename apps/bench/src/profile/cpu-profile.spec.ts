import { type CpuProfile, selfSamples } from './cpu-profile.js';

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
