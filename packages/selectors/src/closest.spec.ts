import { ClosestSelector, distanceM, EARTH_RADIUS_M, endpointPosition } from './closest.js';

const ctx = { servicePath: 'Arith', serviceMethod: 'Mul', args: undefined, metadata: {} };

const cities = {
  london: [51.5074, -0.1278],
  berlin: [52.52, 13.405],
  newYork: [40.7128, -74.006],
  tokyo: [35.6762, 139.6503],
  sydney: [-33.8688, 151.2093],
} as const;

const fleet = Object.entries(cities).map(([name, [lat, lon]]) => ({
  key: `tcp@${name}:8972`,
  metadata: `latitude=${lat}&longitude=${lon}`,
}));

function nearestTo(latitude: number, longitude: number): string | undefined {
  const selector = new ClosestSelector({ latitude, longitude });
  selector.update(fleet);
  return selector.select(ctx);
}

describe('ClosestSelector (Go Closest, spec §5.7)', () => {
  it('picks the nearest city', () => {
    expect(nearestTo(48.8566, 2.3522)).toBe('tcp@london:8972'); // Paris
    expect(nearestTo(50.0755, 14.4378)).toBe('tcp@berlin:8972'); // Prague
    expect(nearestTo(42.3601, -71.0589)).toBe('tcp@newYork:8972'); // Boston
    expect(nearestTo(37.5665, 126.978)).toBe('tcp@tokyo:8972'); // Seoul
    expect(nearestTo(-36.8485, 174.7633)).toBe('tcp@sydney:8972'); // Auckland
    expect(nearestTo(37.7749, -122.4194)).toBe('tcp@newYork:8972'); // San Francisco
  });

  it('haversine with Go’s Earth radius of 6 378 100 m', () => {
    expect(EARTH_RADIUS_M).toBe(6_378_100);
    // Paris – London is about 344 km; New York – London about 5 570 km.
    expect(distanceM(48.8566, 2.3522, 51.5074, -0.1278) / 1000).toBeCloseTo(344, -1);
    expect(distanceM(40.7128, -74.006, 51.5074, -0.1278) / 1000).toBeCloseTo(5575, -2);
    // Antipodes: half the circumference.
    expect(distanceM(0, 0, 0, 180)).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
    expect(distanceM(10, 20, 10, 20)).toBe(0);
  });

  it('ignores servers without valid latitude and longitude', () => {
    const selector = new ClosestSelector({ latitude: 51.5, longitude: 0 });
    selector.update([
      { key: 'no-geo', metadata: 'weight=3' },
      { key: 'only-lat', metadata: 'latitude=51.5' },
      { key: 'bad-lon', metadata: 'latitude=51.5&longitude=east' },
      { key: 'empty-lon', metadata: 'latitude=51.5&longitude=' },
      { key: 'unparsable', metadata: 'latitude=51.5;longitude=0' },
      { key: 'infinite', metadata: 'latitude=1e400&longitude=0' },
      { key: 'far', metadata: 'latitude=-40&longitude=170' },
    ]);
    expect(selector.select(ctx)).toBe('far');
    selector.update([{ key: 'no-geo', metadata: '' }]);
    expect(selector.select(ctx)).toBeUndefined();
  });

  it('reads coordinates as Go ParseFloat does for decimals', () => {
    expect(endpointPosition('latitude=%2B1.5e1&longitude=-.5')).toEqual({
      latitude: 15,
      longitude: -0.5,
    });
    expect(endpointPosition('latitude=1.&longitude=2')).toEqual({ latitude: 1, longitude: 2 });
    expect(endpointPosition('latitude=0x10&longitude=2')).toBeUndefined();
  });

  it('exact ties are broken at random', () => {
    const values = [0.1, 0.9, 0.4, 0.6];
    const selector = new ClosestSelector({
      latitude: 0,
      longitude: 0,
      random: () => values.shift()!,
    });
    selector.update([
      { key: 'east', metadata: 'latitude=0&longitude=10' },
      { key: 'west', metadata: 'latitude=0&longitude=-10' },
      { key: 'farther', metadata: 'latitude=0&longitude=11' },
    ]);
    expect([1, 2, 3, 4].map(() => selector.select(ctx))).toEqual(['east', 'west', 'east', 'west']);
  });
});
