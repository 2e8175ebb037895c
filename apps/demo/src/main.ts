/**
 * The foundation demo: an Arith.Mul call as Go rpcx would put it on the wire, and back.
 * (The next step turns this into a real server and client talking over TCP.)
 */
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { MessageType } from '@rpcx/core';
import { decodeMessage, encodeMessage, FrameDecoder, Message } from '@rpcx/protocol';

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = Buffer.from(bytes.subarray(at, at + 16));
    lines.push(
      `  ${at.toString(16).padStart(4, '0')}  ${row.toString('hex').replace(/(..)/g, '$1 ').trim()}`,
    );
  }
  return lines.join('\n');
}

function describe(message: Message): string {
  return [
    `${message.messageType === MessageType.Request ? 'request' : 'response'} ${message.servicePath}.${message.serviceMethod}`,
    `seq ${message.seq}, serialize type ${message.serializeType}, status ${message.statusType}`,
    `metadata ${JSON.stringify({ ...message.metadata })}`,
    `payload ${JSON.stringify(msgpackCodec.decode(message.payload))}`,
  ].join('\n  ');
}

// The client side: Arith.Mul({A: 7, B: 6}) in MsgPack, Go rpcx's default codec.
const request = new Message({
  servicePath: 'Arith',
  serviceMethod: 'Mul',
  metadata: { __AUTH: 'demo-token' },
});
request.serializeType = msgpackCodec.serializeType;
request.seq = 1n;
request.payload = msgpackCodec.encode({ A: 7, B: 6 });
const frame = encodeMessage(request);
console.log(`encoded ${frame.length} bytes:\n${hexDump(frame)}\n`);

// The server side: the bytes arrive in small pieces; the FrameDecoder reassembles the frame.
const decoder = new FrameDecoder();
for (let at = 0; at < frame.length; at += 5) {
  decoder.push(frame.subarray(at, at + 5), (received) => {
    const call = decodeMessage(received);
    console.log(`decoded\n  ${describe(call)}\n`);

    // The response is derived from the request header, as Go's server does.
    const args = msgpackCodec.decode(call.payload) as { A: number; B: number };
    const reply = new Message({
      header: call.header.clone(),
      servicePath: call.servicePath,
      serviceMethod: call.serviceMethod,
    });
    reply.messageType = MessageType.Response;
    reply.payload = msgpackCodec.encode({ C: args.A * args.B });
    console.log(`reply\n  ${describe(decodeMessage(encodeMessage(reply)))}`);
  });
}
