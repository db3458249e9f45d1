-- take(nowMs, burst, everyMs): take one token from a caller's bucket that holds up to `burst` and
-- regains one every `everyMs`. Returns { 1, 0 } when taken, { 0, msUntilNextToken } when empty.
-- KEYS: the caller's bucket (a hash: tokens, at).
local now, burst, every = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
if now > at then
  local gained = math.floor((now - at) / every)
  tokens = math.min(burst, tokens + gained)
  at = at + gained * every
  if tokens >= burst then at = now end
end
if tokens < 1 then return { 0, at + every - now } end
redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'at', at)
redis.call('PEXPIRE', KEYS[1], burst * every + 1000)
return { 1, 0 }
