/**
 * The rows of the peers run and their ratios. Every row carrying a payload codec is divided by
 * the rpcx TS → TS row of the same codec (JSON rows by `rpcx TS→TS JSON`, grpc-js by `rpcx
 * TS→TS Protobuf`, ...), and the inverse is kept too (rpcx ÷ the row: how many times faster rpcx
 * is). The codec-free echo is the transport ceiling, divided by nothing.
 */
import type { InterleavedResult } from '../load/interleave.js';
import { type PairRatios, pairRatios } from '../load/rows.js';

export type PeerCodec = 'json' | 'msgpack' | 'protobuf' | 'raw';

/** Who serves and who calls: our TS rpcx, grpc-js, Moleculer, or Go rpcx on either side. */
export type PeerKind = 'ts-ts' | 'grpc' | 'moleculer' | 'go-go' | 'go-ts' | 'ts-go';

export interface PeerRowSpec {
  /** `--rows` name. */
  id: string;
  name: string;
  kind: PeerKind;
  codec: PeerCodec;
}

const CODEC_LABEL: Record<PeerCodec, string> = {
  json: 'JSON',
  msgpack: 'MsgPack',
  protobuf: 'Protobuf',
  raw: 'echo',
};

const rpcxRow = (kind: 'ts-ts' | 'go-go' | 'go-ts' | 'ts-go', codec: PeerCodec): PeerRowSpec => {
  const [client, server] = kind.split('-').map((side) => (side === 'ts' ? 'TS' : 'Go'));
  return {
    id: `${kind}-${codec}`,
    name: `rpcx ${client}→${server} ${CODEC_LABEL[codec]}`,
    kind,
    codec,
  };
};

const PAYLOAD_CODECS = ['json', 'msgpack', 'protobuf'] as const;

export const ECHO_ROW_NAME = 'rpcx TS→TS echo (raw: transport ceiling)';

/** Every row, in the run's order. */
export const PEER_ROWS: readonly PeerRowSpec[] = [
  ...PAYLOAD_CODECS.map((codec) => rpcxRow('ts-ts', codec)),
  { id: 'ts-ts-echo', name: ECHO_ROW_NAME, kind: 'ts-ts', codec: 'raw' },
  { id: 'grpc', name: 'grpc-js Protobuf (unary)', kind: 'grpc', codec: 'protobuf' },
  { id: 'moleculer', name: 'Moleculer TCP JSON', kind: 'moleculer', codec: 'json' },
  ...(['go-go', 'go-ts', 'ts-go'] as const).flatMap((kind) =>
    PAYLOAD_CODECS.map((codec) => rpcxRow(kind, codec)),
  ),
];

/** `--rows` names that stand for several rows (a kind, `go-ts` say, does too). */
export const ROW_GROUPS: Readonly<Record<string, (row: PeerRowSpec) => boolean>> = {
  rpcx: (row) => row.kind === 'ts-ts',
  peers: (row) => row.kind === 'grpc' || row.kind === 'moleculer',
  go: (row) => row.kind.includes('go'),
};

/** The rpcx TS → TS row a row is divided by: the one of its codec; none for those rows and echo. */
export function referenceOf(row: PeerRowSpec): PeerRowSpec | undefined {
  if (row.kind === 'ts-ts' || row.codec === 'raw') return undefined;
  return PEER_ROWS.find((other) => other.kind === 'ts-ts' && other.codec === row.codec);
}

/**
 * The rows `names` pick (ids or group names), in the run's order, with the rpcx TS row each is
 * divided by added: a ratio is always measured in the same interleaved run.
 */
export function selectRows(names: readonly string[]): PeerRowSpec[] {
  const picks = (name: string, row: PeerRowSpec) =>
    row.id === name || row.kind === name || ROW_GROUPS[name]?.(row) === true;
  const unknown = names.filter((name) => !PEER_ROWS.some((row) => picks(name, row)));
  if (unknown.length > 0) {
    const known = [...Object.keys(ROW_GROUPS), ...new Set(PEER_ROWS.map((row) => row.kind))];
    throw new Error(
      `--rows: no row ${unknown.join(',')} (groups: ${known.join(',')}; ` +
        `rows: ${PEER_ROWS.map((row) => row.id).join(',')})`,
    );
  }
  const picked = new Set(PEER_ROWS.filter((row) => names.some((name) => picks(name, row))));
  for (const row of [...picked]) {
    const reference = referenceOf(row);
    if (reference) picked.add(reference);
  }
  return PEER_ROWS.filter((row) => picked.has(row));
}

export interface PeerRow extends InterleavedResult {
  id: string;
  kind: PeerKind;
  codec: PeerCodec;
  concurrency: number;
  /** The rpcx TS row it is divided by, when it has one. */
  reference?: string;
  /** This row ÷ the reference: req/s (and by round), client and server CPU µs per request. */
  vsReference?: PairRatios;
  /** The reference's req/s ÷ this row's: how many times faster rpcx TS is. */
  referenceOverRow?: number;
}

/** `measured`: one result per spec, in the same order. */
export function toPeerRows(
  specs: readonly PeerRowSpec[],
  measured: readonly InterleavedResult[],
  concurrency: number,
): PeerRow[] {
  const rows: PeerRow[] = specs.map((spec, i) => ({
    ...measured[i]!,
    id: spec.id,
    kind: spec.kind,
    codec: spec.codec,
    concurrency,
  }));
  for (const row of rows) {
    const referenceId = referenceOf(row)?.id;
    const reference = rows.find((other) => other.id === referenceId);
    if (!reference) continue;
    row.reference = reference.name;
    row.vsReference = pairRatios(row, reference);
    row.referenceOverRow = reference.requestsPerSecond / row.requestsPerSecond;
  }
  return rows;
}
