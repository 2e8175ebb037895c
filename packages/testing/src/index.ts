export { hex, rpcxErrorOf, rpcxRejectionOf, toHex } from './assertions.js';
export { type CodecContractOptions, describeCodecContract } from './codec-contract.js';
export {
  describeStaticDiscoveryContract,
  type StaticDiscoveryContractOptions,
} from './discovery-contract.js';
export { nextTurn, resolved, settle, useFakeClock } from './fake-clock.js';
export {
  type Exit,
  type NodeProcess,
  REGISTER_HOOK,
  type StartProcessOptions,
  startProcess,
  stopAllProcesses,
} from './node-process.js';
export {
  type ContractRpc,
  describeRegistryContract,
  type RegistryContractOptions,
  type RegistryUnderTest,
} from './registry-contract.js';
export { contractEndpoints, describeSelectorContract } from './selector-contract.js';
export { createTlsFixture, type TlsFixture } from './tls-fixture.js';
