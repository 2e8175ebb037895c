/**
 * Go's `Closest` (spec §5.7, `XClient.ConfigGeoSelector`): the server nearest to the client by
 * great-circle distance (haversine, Earth radius 6 378 100 m as Go). Servers need `latitude` and
 * `longitude` metadata in degrees; those without both as valid numbers are ignored (then, with
 * none left, there is no server). Equally near servers are picked at random.
 *
 * The client's position does not change, so distances are computed once per update rather than
 * on every select as Go does; the picks are the same.
 */
import { parseQuery, type SelectContext, type Selector, type ServiceEndpoint } from '@rpcx/core';
import { uniqueEndpoints } from './endpoint-list.js';
import { randomIndex } from './random.js';

export interface ClosestSelectorOptions {
  /** The client's latitude in degrees. */
  latitude: number;
  /** The client's longitude in degrees. */
  longitude: number;
  /** A number in [0, 1) to break exact ties (default `Math.random`). */
  random?: () => number;
}

/** Go's Earth radius for the geo selector, in metres. */
export const EARTH_RADIUS_M = 6_378_100;

export class ClosestSelector implements Selector {
  /** The nearest servers (more than one only for exact ties). */
  private nearest: string[] = [];
  private readonly latitude: number;
  private readonly longitude: number;
  private readonly random: () => number;

  constructor(options: ClosestSelectorOptions) {
    this.latitude = options.latitude;
    this.longitude = options.longitude;
    this.random = options.random ?? Math.random;
  }

  select(_ctx?: SelectContext): string | undefined {
    const nearest = this.nearest;
    if (nearest.length <= 1) return nearest[0];
    return nearest[randomIndex(this.random, nearest.length)];
  }

  update(endpoints: readonly ServiceEndpoint[]): void {
    let nearest: string[] = [];
    let min = Number.POSITIVE_INFINITY;
    for (const endpoint of uniqueEndpoints(endpoints)) {
      const position = endpointPosition(endpoint.metadata);
      if (position === undefined) continue;
      const d = distanceM(this.latitude, this.longitude, position.latitude, position.longitude);
      if (d < min) {
        nearest = [endpoint.key];
        min = d;
      } else if (d === min) {
        nearest.push(endpoint.key);
      }
    }
    this.nearest = nearest;
  }
}

/** Haversine distance in metres between two points given in degrees, as Go's `getDistanceFrom`. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const la1 = (lat1 * Math.PI) / 180;
  const lo1 = (lon1 * Math.PI) / 180;
  const la2 = (lat2 * Math.PI) / 180;
  const lo2 = (lon2 * Math.PI) / 180;
  const h = hsin(la2 - la1) + Math.cos(la1) * Math.cos(la2) * hsin(lo2 - lo1);
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

/** The endpoint's `latitude`/`longitude` metadata, or `undefined` if either is missing or bad. */
export function endpointPosition(
  metadata: string,
): { latitude: number; longitude: number } | undefined {
  const query = parseQuery(metadata);
  if (query === undefined) return undefined;
  const latitude = parseGoFloat(query.get('latitude'));
  const longitude = parseGoFloat(query.get('longitude'));
  if (latitude === undefined || longitude === undefined) return undefined;
  return { latitude, longitude };
}

// ---------------------------------------------------------------------------------------------
// Internal

function hsin(theta: number): number {
  return Math.sin(theta / 2) ** 2;
}

const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/**
 * A decimal float as Go's `strconv.ParseFloat` reads it. Go also takes `Inf`, `NaN` and hex
 * floats; a server placed at infinity or NaN is never the nearest in Go either, so those count
 * as invalid here, as do values out of the float64 range (Go: a range error).
 */
function parseGoFloat(text: string | null): number | undefined {
  if (text === null || !DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
