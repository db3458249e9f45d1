-- reserve(requestId, amount, expiresAtMs, nowMs): hold `amount` if budget − posted − pending ≥ amount.
-- Idempotent by requestId: a repeat returns the hold as it stands, and never holds twice.
local id, amount, expires_at, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
expire_due(now, 64)

local existing = load_hold(id)
if existing then return hold_reply('REPLAY', id, existing) end

local acct = redis.call('HMGET', ACCT, 'budget', 'posted', 'pending')
if not acct[1] then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
local available = tonumber(acct[1]) - tonumber(acct[2] or '0') - tonumber(acct[3] or '0')
if tonumber(amount) > available then
  return cjson.encode({ status = 'BUDGET_EXCEEDED', available = int(available), amount = amount })
end

redis.call('HINCRBY', ACCT, 'pending', amount)
local h = { state = 'pending', amount = amount, expires_at = expires_at, posted = '0', overage = '0', record_id = '' }
save_hold(id, h)
redis.call('ZADD', EXPIRY, expires_at, id)
return hold_reply('OK', id, h, { available = int(available - tonumber(amount)) })
