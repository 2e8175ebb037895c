/**
 * Live round trips with Go rpcx's own encoder and decoder (conformance/go):
 *   TS → Go: frames written by our encoder are decoded by Go's `protocol.Read`, piped and over TCP;
 *   Go → TS: frames Go encodes now (framegen, and vectorgen into a fresh directory) are decoded here.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, FrameDecoder } from '@rpcx/protocol';
import { goBin, jsonLines, runGo } from './support/go-tools.js';
import {
  type ExpectedFields,
  fieldsOf,
  loadVectors,
  messageOf,
  withoutWireLength,
} from './support/vectors.js';

jest.setTimeout(10 * 60_000); // the first run builds the Go programs

const vectors = loadVectors();

/** Extra cases beyond the vectors: a big gzip payload, unicode everywhere, seq edges. */
const extraCases: ExpectedFields[] = [
  {
    version: 0,
    messageType: 0,
    heartbeat: false,
    oneway: false,
    compressType: 1,
    messageStatusType: 0,
    serializeType: 1,
    seq: '18446744073709551614',
    servicePath: 'Большой',
    serviceMethod: '上传',
    metadata: { '🔑': '✓', a: '', '': 'empty key', __AUTH: 'token' },
    payloadHex: Buffer.from(JSON.stringify({ data: 'x'.repeat(200_000) })).toString('hex'),
  },
  {
    version: 7,
    messageType: 1,
    heartbeat: true,
    oneway: true,
    compressType: 0,
    messageStatusType: 1,
    serializeType: 15,
    seq: '9007199254740993',
    servicePath: '',
    serviceMethod: '',
    metadata: {},
    payloadHex: '',
  },
];

describe('TS → Go', () => {
  const cases = [...vectors.map((v) => withoutWireLength(v.expect)), ...extraCases];
  const frames = cases.map((fields) => encodeMessage(messageOf(fields)));

  it('Go decodes every frame our encoder writes (piped)', async () => {
    const result = await runGo('framedecode', [], Buffer.concat(frames));
    expect(result.stderr).not.toMatch(/panic/);
    expect(result.code).toBe(0);
    const decoded = jsonLines<ExpectedFields>(result.stdout).map(withoutWireLength);
    expect(decoded).toEqual(cases);
  });

  it('Go decodes our frames from a TCP connection, written in small pieces', async () => {
    const child = spawn(goBin('framedecode'), ['-listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        const match = /^LISTENING (\S+)\n/.exec(Buffer.concat(stdout).toString());
        if (match) resolve(match[1]!);
      });
      child.on('error', reject);
      child.on('close', (code) =>
        reject(new Error(`framedecode exited with ${code} before listening`)),
      );
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const address = await listening;
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    expect(host).toBe('127.0.0.1');

    const socket = createConnection({ host, port });
    await new Promise<void>((resolve, reject) =>
      socket.once('connect', resolve).once('error', reject),
    );
    const stream = Buffer.concat(frames);
    for (let at = 0; at < stream.length; at += 4093) socket.write(stream.subarray(at, at + 4093));
    socket.end();
    expect(await exited).toBe(0);

    const lines = Buffer.concat(stdout).toString().split('\n').slice(1).join('\n');
    expect(jsonLines<ExpectedFields>(Buffer.from(lines)).map(withoutWireLength)).toEqual(cases);
  });

  it('Go rejects what our decoder rejects: a frame whose lengths lie', async () => {
    const frame = Buffer.from(frames[0]!);
    frame.writeUInt32BE(0xffff, 16); // servicePath length far past the end
    await expect(decodeMessage(frame)).rejects.toThrow(/points past the end/);
    const result = await runGo('framedecode', [], frame);
    expect(result.code).toBe(2);
    expect(jsonLines<{ error: string }>(result.stdout)[0]!.error).toBeTruthy();
  });
});

describe('Go → TS', () => {
  it('decodes frames Go encodes now from our field lists', async () => {
    const cases = [...vectors.map((v) => withoutWireLength(v.expect)), ...extraCases];
    const input = Buffer.from(cases.map((c) => JSON.stringify(c)).join('\n'));
    const result = await runGo('framegen', [], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const frames = new FrameDecoder().pushAll(result.stdout);
    const decoded = await Promise.all(frames.map((frame) => decodeMessage(frame)));
    expect(decoded.map(fieldsOf)).toEqual(cases);
  });

  it('decodes a fresh run of the Go vector generator, including frames from a live Go server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rpcx-vectors-'));
    const protoDir = mkdtempSync(join(tmpdir(), 'rpcx-proto-'));
    try {
      const result = await runGo(
        'vectorgen',
        ['-out', dir, '-proto-out', protoDir],
        Buffer.alloc(0),
      );
      expect(result.code).toBe(0);
      const fresh = loadVectors(dir);
      expect(fresh.map((v) => v.name)).toEqual(vectors.map((v) => v.name));
      for (const vector of fresh) {
        const message = await decodeMessage(Buffer.from(vector.hex, 'hex'));
        expect(fieldsOf(message)).toEqual(withoutWireLength(vector.expect));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(protoDir, { recursive: true, force: true });
    }
  });
});
