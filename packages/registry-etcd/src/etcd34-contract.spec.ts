/**
 * The registry contract against Debian's etcd 3.4 (`etcd-server`, installed by
 * scripts/registries/etcd.sh): the same package works with the older server.
 */
import { describeRegistryContract } from '@rpcx/testing';
import { etcdContractOptions } from './test-support/contract-options.js';

jest.setTimeout(60_000);

// The test command installs it (scripts/registries/etcd.sh); without it the launcher fails and
// says to run that script.
describeRegistryContract('etcd 3.4', { ...etcdContractOptions('3.4'), report: console.log });
