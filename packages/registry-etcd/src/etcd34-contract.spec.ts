/**
 * The registry contract against Debian's etcd 3.4 (`etcd-server`, installed by
 * scripts/registries/etcd.sh): the same package works with the older server. Skipped, saying so,
 * when that etcd is not installed.
 */
import { describeRegistryContract, etcdBinary } from '@rpcx/testing';
import { etcdContractOptions } from './test-support/contract-options.js';

jest.setTimeout(60_000);

if (etcdBinary('3.4') === undefined) {
  test.skip("etcd 3.4 is not installed (Debian's etcd-server: run scripts/registries/etcd.sh)", () => {});
} else {
  describeRegistryContract('etcd 3.4', etcdContractOptions('3.4'));
}
