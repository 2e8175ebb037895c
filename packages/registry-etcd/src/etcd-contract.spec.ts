/**
 * The registry contract (@rpcx/testing) against real etcd servers started on free loopback ports
 * — etcd 3.6, built from the Go module proxy (etcd34-contract.spec.ts: Debian's 3.4): register,
 * discover, watch (add, metadata edit, remove), Arith vs ArithX, empty then filled, a SIGKILLed
 * registrant's node expiring with its lease, an etcd restart under load.
 */
import { describeRegistryContract } from '@rpcx/testing';
import { etcdContractOptions } from './test-support/contract-options.js';

jest.setTimeout(60_000);

describeRegistryContract('etcd 3.6', { ...etcdContractOptions('3.6'), report: console.log });
