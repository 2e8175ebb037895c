import { opsRowsFrom } from './ops-loads.js';

describe('opsRowsFrom (--ops-rows)', () => {
  it('gives every ops row when none is named', () => {
    const all = opsRowsFrom(undefined);
    expect(all.length).toBeGreaterThan(5);
    expect(opsRowsFrom('')).toEqual(all);
  });

  it('picks rows by their features joined with +, in the table order', () => {
    const rows = opsRowsFrom('metrics+access-log,access-log');
    expect(rows.map(([, features]) => features.join('+'))).toEqual([
      'access-log',
      'metrics+access-log',
    ]);
    expect(rows.map(([name]) => name)).toEqual([
      'rpcx Say (protobuf) +access log',
      'rpcx Say (protobuf) +metrics +access log',
    ]);
  });

  it('refuses a name no row has, listing the names', () => {
    expect(() => opsRowsFrom('access-log,metrics+nope')).toThrow(
      /--ops-rows: no row metrics\+nope \(rows: .*metrics\+access-log/,
    );
  });
});
