export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

const EARTH_RADIUS_KM = 6371.0088;
/** Light in optical fibre covers about 200 km per millisecond (refractive index ≈ 1.47). */
export const FIBRE_KM_PER_MS = 200;
/** Real fibre paths are longer than great circles; 1.5 is a common planning factor. */
export const ROUTE_INFLATION = 1.5;

export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The physical lower bound of a round trip, used until enough latency samples exist. */
export function physicalRttPriorMs(a: GeoPoint, b: GeoPoint): number {
  return (2 * greatCircleKm(a, b) * ROUTE_INFLATION) / FIBRE_KM_PER_MS;
}
