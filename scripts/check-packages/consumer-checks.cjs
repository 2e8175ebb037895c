// What a user of the packed packages does, without @msgpack/msgpack or protobufjs installed:
// a JSON call from @rpcx/client to @rpcx/server, the error types re-exported by both, and the
// error a user gets for MsgPack (the default) without its library — or, run again with
// --msgpack-installed once the library is there, a MsgPack call that works. `load` is the consumer's
// import() or require(), so package resolution is ESM or CJS as in that consumer.
const assert = require('node:assert/strict');

module.exports = async function runChecks(kind, load) {
  let failed = 0;
  const report = (ok, what, why) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} - ${kind}: ${what}${ok ? '' : `: ${why}`}`);
    if (!ok) failed++;
  };
  const check = async (what, body) => {
    try {
      await body();
      report(true, what);
    } catch (error) {
      report(false, what, (error instanceof Error ? error.message : String(error)).split('\n')[0]);
    }
  };

  let client;
  let server;
  let core;
  await check('@rpcx/client and @rpcx/server load', async () => {
    client = await load('@rpcx/client');
    server = await load('@rpcx/server');
    core = await load('@rpcx/core');
  });
  const loaded = () =>
    assert.ok(client && server, 'not run: the packages did not load (see the load check)');

  await check(
    'RpcxError, ErrorCode, SerializeType exported by @rpcx/client and @rpcx/server',
    () => {
      loaded();
      const missing = [];
      for (const [name, mod] of [
        ['@rpcx/client', client],
        ['@rpcx/server', server],
      ]) {
        for (const symbol of ['RpcxError', 'ErrorCode', 'SerializeType']) {
          if (mod[symbol] === undefined) missing.push(`${name} ${symbol}`);
        }
      }
      assert.ok(missing.length === 0, `missing: ${missing.join(', ')}`);
    },
  );

  let rpcServer;
  const clients = [];
  try {
    let address;
    await check('Arith.Mul over JSON: { A: 6, B: 7 } -> { C: 42 }', async () => {
      loaded();
      // From @rpcx/core when the re-export is missing, so this check stands on its own.
      const SerializeType = client.SerializeType ?? core.SerializeType;
      class Arith {
        Mul(args) {
          return { C: args.A * args.B };
        }
      }
      rpcServer = new server.Server();
      rpcServer.register(new Arith());
      address = await rpcServer.listen('tcp@127.0.0.1:0');
      const json = new client.Client({ address, serializeType: SerializeType.JSON });
      clients.push(json);
      const reply = await json.call('Arith', 'Mul', { A: 6, B: 7 }, { timeoutMs: 5000 });
      assert.deepEqual(reply, { C: 42 }, `replied ${JSON.stringify(reply)}`);
    });

    if (process.argv.includes('--msgpack-installed')) {
      await check(
        'with @msgpack/msgpack installed, a MsgPack call (the default) works',
        async () => {
          loaded();
          assert.ok(address, 'no server (see above)');
          const msgpack = new client.Client({ address });
          clients.push(msgpack);
          const reply = await msgpack.call('Arith', 'Mul', { A: 6, B: 7 }, { timeoutMs: 5000 });
          assert.deepEqual(reply, { C: 42 }, `replied ${JSON.stringify(reply)}`);
        },
      );
      return failed;
    }

    await check(
      'a MsgPack call (the default) without @msgpack/msgpack names the package',
      async () => {
        loaded();
        assert.ok(address, 'no server (see above)');
        let outcome;
        try {
          const msgpack = new client.Client({ address });
          clients.push(msgpack);
          const reply = await msgpack.call('Arith', 'Mul', { A: 6, B: 7 }, { timeoutMs: 5000 });
          outcome = `resolved with ${JSON.stringify(reply)}`;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (message.includes('@msgpack/msgpack')) return;
          outcome = `rejected with "${message}"`;
        }
        assert.fail(`expected an error naming @msgpack/msgpack, ${outcome}`);
      },
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await rpcServer?.close();
  }
  return failed;
};
