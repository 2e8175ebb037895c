/**
 * The codec of an opt-in entry point loaded the first time a registry is asked for its serialize
 * type: MsgPack, Go's default, so that a client or server speaks it without being told while
 * installing @rpcx/client or @rpcx/server pulls in no MsgPack library — a JSON-only program never
 * loads (or bundles) it. When the library is not installed, the error says which package to
 * install. Protobuf is not among them: it needs the program's schemas anyway, so it is passed in
 * (`createProtobufCodec()` from `@rpcx/codecs/protobuf`).
 */
import { type Codec, ErrorCode, RpcxError, SerializeType } from '@rpcx/core';

/**
 * Not a literal: a bundler follows `import('./msgpack/index.js')` and puts MsgPack (a third of a
 * small client bundle) into every bundle, used or not. Bundled programs that use MsgPack pass
 * `msgpackCodec` from `@rpcx/codecs/msgpack` in `codecs`.
 */
const MSGPACK_ENTRY = './msgpack/index.js';
type MsgpackEntry = typeof import('./msgpack/index.js');

interface OptionalCodec {
  readonly name: string;
  /** The optional peer dependency it needs. */
  readonly peer: string;
  readonly load: () => Promise<Codec>;
}

const optionalCodecs: ReadonlyMap<number, OptionalCodec> = new Map([
  [
    SerializeType.MsgPack,
    {
      name: 'MsgPack',
      peer: '@msgpack/msgpack',
      load: async () => ((await import(MSGPACK_ENTRY)) as MsgpackEntry).msgpackCodec,
    },
  ],
]);

/** Whether a codec for `serializeType` can be loaded on demand. */
export function isOptionalCodec(serializeType: number): boolean {
  return optionalCodecs.has(serializeType);
}

/** Loads the optional codec for `serializeType`; fails naming the package to install. */
export async function loadOptionalCodec(serializeType: number): Promise<Codec> {
  const optional = optionalCodecs.get(serializeType);
  if (optional === undefined) {
    throw new RpcxError(ErrorCode.Codec, `can not find codec for ${serializeType}`);
  }
  try {
    return await optional.load();
  } catch (error) {
    throw new RpcxError(
      ErrorCode.Codec,
      `${optional.name} (serialize type ${serializeType}) needs the package ${optional.peer}, ` +
        `which could not be loaded: install it (npm install ${optional.peer}) or choose another serializeType ` +
        `(in a bundle, pass the codec: codecs: [msgpackCodec] from @rpcx/codecs/msgpack)`,
      { cause: error },
    );
  }
}
