-- sweep(nowMs, limit, replayWindowMs): expire due holds of one tenant and prune holds resolved more
-- than the replay window ago; returns how many holds were looked at.
local refused = invalid({ ARGV[1], is_amount, 'now', ARGV[2], is_amount, 'limit', ARGV[3], is_amount,
  'replayWindow' })
if refused then return refused end
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
return expire_due(now, limit) + prune_resolved(now, tonumber(ARGV[3]), limit)
