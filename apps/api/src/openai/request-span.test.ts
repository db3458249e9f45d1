import { describe, expect, it } from 'vitest';
import { routeName } from './request-span';

describe('the request span name', () => {
  it('is the route, bounded: a model id or a stray path never names a span of its own', () => {
    expect(routeName('/v1/chat/completions')).toBe('/v1/chat/completions');
    expect(routeName('/v1/embeddings/?x=1')).toBe('/v1/embeddings');
    expect(routeName('/v1/models')).toBe('/v1/models');
    expect(routeName('/v1/models/some-tenant-model')).toBe('/v1/models/{model}');
    expect(routeName('/v1/whatever/the/client/typed')).toBe('/v1/*');
  });
});
