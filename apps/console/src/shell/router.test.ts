import { describe, expect, it } from 'vitest';
import { matchPath } from './router';

describe('console routes', () => {
  it('matches literal segments and captures parameters, decoded', () => {
    expect(matchPath('/tenant/usage', '/tenant/usage')).toEqual({});
    expect(matchPath('/operator/statements/:statementId', '/operator/statements/st%2F1')).toEqual({
      statementId: 'st/1',
    });
  });

  it('refuses a different shape or segment, and ignores a query', () => {
    expect(matchPath('/tenant/usage', '/tenant')).toBeNull();
    expect(matchPath('/tenant/usage', '/tenant/keys')).toBeNull();
    expect(matchPath('/tenant/usage', '/tenant/usage?x=1')).toEqual({});
  });
});
