export { hex, rpcxErrorOf, rpcxRejectionOf, toHex } from './assertions.js';
export { type CodecContractOptions, describeCodecContract } from './codec-contract.js';
export {
  CONSUL_VERSION,
  type ConsulAgent,
  consulBinary,
  type StartConsulOptions,
  startConsul,
  stopAllConsulAgents,
} from './consul-launcher.js';
export {
  describeStaticDiscoveryContract,
  type StaticDiscoveryContractOptions,
} from './discovery-contract.js';
export {
  ETCD_VERSION,
  type EtcdCluster,
  type EtcdFlavor,
  type EtcdMember,
  type EtcdOptions,
  etcdBinary,
  startEtcd,
  startEtcdCluster,
} from './etcd-launcher.js';
export { eventually } from './eventually.js';
export { nextTurn, resolved, settle, useFakeClock } from './fake-clock.js';
export {
  assertIsolatedNetns,
  currentNetns,
  ip,
  NETNS_INTERFACES,
  type NetnsOptions,
  type NetnsProcess,
  netnsSetup,
  netnsUnavailable,
  OUTER_NETNS_ENV,
  startInNetns,
  stopAllNetns,
} from './netns.js';
export {
  type Exit,
  type NodeProcess,
  REGISTER_HOOK,
  type StartProcessOptions,
  startProcess,
  stopAllProcesses,
} from './node-process.js';
export {
  type CollectedSpan,
  OTELCOL_RELEASE,
  type OtelCollector,
  otelCollectorBinary,
  startOtelCollector,
  stopAllOtelCollectors,
} from './otel-collector-launcher.js';
export {
  type PrometheusOptions,
  type PrometheusSample,
  type PrometheusServer,
  prometheusBinary,
  startPrometheus,
  stopAllPrometheus,
} from './prometheus-launcher.js';
export {
  type RedisOptions,
  type RedisServer,
  redisServerBinary,
  startRedis,
  stopAllRedis,
} from './redis-launcher.js';
export {
  type ContractRpc,
  describeRegistryContract,
  type RegistryContractOptions,
  type RegistryDiscovery,
  type RegistryUnderTest,
} from './registry-contract.js';
export { contractEndpoints, describeSelectorContract } from './selector-contract.js';
export {
  type ClientCertificateOptions,
  createTlsFixture,
  type TlsCredentials,
  type TlsFixture,
  type TlsFixtureOptions,
} from './tls-fixture.js';
export {
  freeLoopbackPort,
  startZookeeper,
  stopAllZookeepers,
  type ZookeeperOptions,
  type ZookeeperServer,
  zookeeperClasspath,
} from './zookeeper-launcher.js';
