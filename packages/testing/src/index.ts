export { type CodecContractOptions, describeCodecContract } from './codec-contract.js';
