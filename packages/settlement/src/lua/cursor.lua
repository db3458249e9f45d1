-- advance(endMs): move the settled-up-to cursor forward only; concurrent runs never rewind it.
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local proposed = tonumber(ARGV[1])
if proposed > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0
