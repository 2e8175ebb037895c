/**
 * The TXT string of Go rpcx's mDNS plugin. The expected strings were printed by Go's own code
 * path (`json.Marshal` of the plugin's element type, then `url.QueryEscape`:
 * conformance/go `regserver -registry mdns -print-txt`).
 */
import { queryEscape } from '@rpcx/core';
import {
  decodeServicesTxt,
  encodeServicesTxt,
  goQueryUnescape,
  marshalServices,
} from './txt-record.js';

const GO_VECTORS = [
  {
    services: [
      { service: 'Arith', meta: 'weight=1&group=a<b>', serviceAddress: 'tcp@127.0.0.1:8972' },
      { service: 'ArithX', meta: '', serviceAddress: 'tcp@127.0.0.1:8972' },
    ],
    txt: '%5B%7B%22service%22%3A%22Arith%22%2C%22meta%22%3A%22weight%3D1%5Cu0026group%3Da%5Cu003cb%5Cu003e%22%2C%22service_address%22%3A%22tcp%40127.0.0.1%3A8972%22%7D%2C%7B%22service%22%3A%22ArithX%22%2C%22service_address%22%3A%22tcp%40127.0.0.1%3A8972%22%7D%5D',
  },
  {
    services: [
      {
        service: 'Greeter',
        meta: 'note=a b~c\u2028\u00e9\t',
        serviceAddress: 'unix@/run/rpcx.sock',
      },
      { service: '', meta: 'only=meta', serviceAddress: '' },
    ],
    txt: '%5B%7B%22service%22%3A%22Greeter%22%2C%22meta%22%3A%22note%3Da+b~c%5Cu2028%C3%A9%5Ct%22%2C%22service_address%22%3A%22unix%40%2Frun%2Frpcx.sock%22%7D%2C%7B%22meta%22%3A%22only%3Dmeta%22%7D%5D',
  },
];

test.each(GO_VECTORS.map((v, i) => [i, v] as const))(
  'encodes as Go writes it (vector %i)',
  (_i, { services, txt }) => {
    expect(encodeServicesTxt(services)).toBe(txt);
  },
);

test.each(GO_VECTORS.map((v, i) => [i, v] as const))(
  'decodes what Go writes (vector %i)',
  (_i, { services, txt }) => {
    expect(decodeServicesTxt(txt)).toEqual(services);
  },
);

test('JSON field order and omitempty as Go', () => {
  expect(marshalServices([{ service: 'A', meta: '', serviceAddress: 'tcp@h:1' }])).toBe(
    '[{"service":"A","service_address":"tcp@h:1"}]',
  );
  expect(marshalServices([])).toBe('[]');
});

test("Go's empty and nil arrays: [] after the last unregister, null for a nil slice", () => {
  expect(decodeServicesTxt(queryEscape('[]'))).toEqual([]);
  expect(decodeServicesTxt('null')).toEqual([]);
});

test('what Go cannot read is refused (bad escape, not JSON, not an array)', () => {
  expect(decodeServicesTxt('%5B%7')).toBeUndefined();
  expect(decodeServicesTxt('%zz')).toBeUndefined();
  expect(decodeServicesTxt('not+json')).toBeUndefined();
  expect(decodeServicesTxt(queryEscape('{"service":"A"}'))).toBeUndefined();
});

test('elements of other shapes read as Go reads them: missing or non-string fields are empty', () => {
  const txt = queryEscape('[{"service":"A","meta":5,"extra":true},7,null,{"service_address":"x"}]');
  expect(decodeServicesTxt(txt)).toEqual([
    { service: 'A', meta: '', serviceAddress: '' },
    { service: '', meta: '', serviceAddress: 'x' },
  ]);
});

test("url.QueryUnescape as Go's", () => {
  expect(goQueryUnescape('a+b%2Bc%2fd')).toBe('a b+c/d');
  expect(goQueryUnescape('100%')).toBeUndefined();
});
