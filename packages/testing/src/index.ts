export { hex, rpcxErrorOf, rpcxRejectionOf, toHex } from './assertions.js';
export { type CodecContractOptions, describeCodecContract } from './codec-contract.js';
export { nextTurn, resolved, settle, useFakeClock } from './fake-clock.js';
export { createTlsFixture, type TlsFixture } from './tls-fixture.js';
