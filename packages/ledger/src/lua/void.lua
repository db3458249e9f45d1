-- void(requestId, nowMs): release a pending hold in full (money and rate-limit tokens, the tenant's
-- and its API key's). Voiding
-- twice, or a hold that already expired, answers the same; voiding a posted hold is refused.
local refused = invalid({ ARGV[1], is_text, 'requestId', ARGV[2], is_amount, 'now' })
if refused then return refused end
local id, now = ARGV[1], tonumber(ARGV[2])
expire_due(now, 64)

local h = load_hold(id)
if not h then return cjson.encode({ status = 'HOLD_NOT_FOUND', requestId = id }) end
if h.state == 'voided' or h.state == 'expired' then return hold_reply('REPLAY', id, h) end
if h.state == 'posted' then return hold_reply('HOLD_ALREADY_RESOLVED', id, h) end

redis.call('HINCRBY', ACCT, 'pending', neg(h.amount))
key_pending(h.key, neg(h.amount))
redis.call('ZREM', EXPIRY, id)
refund_tokens(tonumber(h.tokens), now, h.key)
h.state = 'voided'
save_hold(id, h)
redis.call('ZADD', RESOLVED, now, id)
return hold_reply('OK', id, h)
