import { usableEndpoints } from './endpoint-filter.js';

const keys = (list: { key: string }[]) => list.map((endpoint) => endpoint.key);

describe('usableEndpoints (spec §5.1)', () => {
  test('drops state=inactive, keeps unparsable metadata, sorts by key, drops duplicate keys', () => {
    const list = usableEndpoints(
      [
        { key: 'tcp@c:3', metadata: 'weight=1' },
        { key: 'tcp@a:1', metadata: 'state=inactive&weight=2' },
        { key: 'tcp@b:2', metadata: 'state=inactive;x=1' }, // Go's ParseQuery fails: kept
        { key: 'tcp@d:4', metadata: '' },
        { key: 'tcp@c:3', metadata: 'state=inactive' },
      ],
      undefined,
    );
    expect(keys(list)).toEqual(['tcp@b:2', 'tcp@c:3', 'tcp@d:4']);
  });

  test('with a group, keeps only servers having that group among their group values', () => {
    const list = usableEndpoints(
      [
        { key: 'tcp@a:1', metadata: 'group=blue' },
        { key: 'tcp@b:2', metadata: 'group=red&group=blue' },
        { key: 'tcp@c:3', metadata: 'group=red' },
        { key: 'tcp@d:4', metadata: '' },
        { key: 'tcp@e:5', metadata: 'group=blue&state=inactive' },
        { key: 'tcp@f:6', metadata: 'group=%zz' }, // unparsable: kept, as Go
      ],
      'blue',
    );
    expect(keys(list)).toEqual(['tcp@a:1', 'tcp@b:2', 'tcp@f:6']);
  });

  test('percent escapes and + are decoded before matching', () => {
    const list = usableEndpoints(
      [
        { key: 'tcp@a:1', metadata: 'group=blue+team' },
        { key: 'tcp@b:2', metadata: 'group=blue%20team' },
        { key: 'tcp@c:3', metadata: 'group=blue+team&state=in%61ctive' },
      ],
      'blue team',
    );
    expect(keys(list)).toEqual(['tcp@a:1', 'tcp@b:2']);
  });
});
