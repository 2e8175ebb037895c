import { type Codec, ErrorCode, isRpcxError, RpcxError, SerializeType } from '@rpcx/core';
import { CodecRegistry, createCodecRegistry, defaultCodecs } from './codec-registry.js';
import { jsonCodec } from './json.js';
import { rawCodec } from './raw.js';

const fakeCodec = (serializeType: number, name = `fake-${serializeType}`): Codec => ({
  serializeType,
  name,
  encode: () => new Uint8Array(0),
  decode: () => undefined,
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('CodecRegistry', () => {
  it('holds raw and JSON by default, and nothing else', () => {
    const registry = createCodecRegistry();
    expect(registry.get(SerializeType.None)).toBe(rawCodec);
    expect(registry.get(SerializeType.JSON)).toBe(jsonCodec);
    for (let type = 2; type <= 15; type++) expect(registry.has(type)).toBe(false);
    expect(defaultCodecs()).toEqual([rawCodec, jsonCodec]);
  });

  it('returns undefined from get() for a missing codec and for numbers outside 0..15', () => {
    const registry = createCodecRegistry();
    for (const type of [SerializeType.MsgPack, 16, -1, 1.5, Number.NaN]) {
      expect(registry.get(type)).toBeUndefined();
      expect(registry.has(type)).toBe(false);
    }
  });

  it("fails require() with Go's exact text: can not find codec for <n>", () => {
    const error = thrown(() => createCodecRegistry().require(3));
    expect(isRpcxError(error, ErrorCode.Codec)).toBe(true);
    expect((error as RpcxError).message).toBe('can not find codec for 3');
    expect((thrown(() => createCodecRegistry().require(16)) as RpcxError).message).toBe(
      'can not find codec for 16',
    );
  });

  it('registers user codecs on any type 0..15, replacing what was there', () => {
    const registry = createCodecRegistry();
    const mine = fakeCodec(SerializeType.JSON, 'my-json');
    expect(registry.register(mine)).toBe(registry);
    expect(registry.require(SerializeType.JSON)).toBe(mine);
    registry.register(fakeCodec(0)).register(fakeCodec(15));
    expect(registry.get(0)?.name).toBe('fake-0');
    expect(registry.get(15)?.name).toBe('fake-15');
  });

  it('takes extra codecs at creation, after the defaults', () => {
    const thrift = fakeCodec(SerializeType.Thrift, 'thrift');
    const registry = createCodecRegistry(thrift, fakeCodec(SerializeType.None, 'my-raw'));
    expect(registry.get(SerializeType.Thrift)).toBe(thrift);
    expect(registry.get(SerializeType.None)?.name).toBe('my-raw');
    expect(registry.get(SerializeType.JSON)).toBe(jsonCodec);
  });

  it('starts empty when constructed without codecs', () => {
    const registry = new CodecRegistry();
    for (let type = 0; type <= 15; type++) expect(registry.has(type)).toBe(false);
  });

  it.each([16, -1, 2.5, Number.NaN, 255])(
    'refuses serialize type %p: the header has 4 bits',
    (type) => {
      const error = thrown(() => new CodecRegistry().register(fakeCodec(type)));
      expect(error).toBeInstanceOf(RpcxError);
      expect((error as RpcxError).code).toBe(ErrorCode.InvalidArgument);
      expect((error as RpcxError).message).toContain('0..15');
    },
  );
});
