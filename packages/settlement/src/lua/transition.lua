-- transition(statementId, expected, next[, adjustmentField, adjustment]): compare-and-set of one
-- statement's lifecycle. It changes only if the stored lifecycle is still the one the caller
-- decided from; a resolution's adjustment is written in the same step, so it lands exactly once.
-- KEYS: lifecycle, the adjustments of the period the adjustment lands in (field: statement id).
-- Returns 1 when set, 0 when someone else moved it first.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] then redis.call('HSET', KEYS[2], ARGV[4], ARGV[5]) end
return 1
