-- extend(requestId, seq, amount, tokens, nowMs, periodId): add `amount` and `tokens` to a pending hold
-- (the next slice of a request's output grant), through the same checks as reserve: the tenant's
-- budget and token rate, and the API key's the hold was made with (key ⊂ tenant). Every check passes
-- or nothing changes. Idempotent per (requestId, seq): the highest applied `seq` is kept beside the
-- hold ('<id>|ext'), and a `seq` at or below it changes nothing (a retried extension never holds twice).
local refused = invalid({ ARGV[1], is_text, 'requestId', ARGV[2], is_amount, 'seq', ARGV[3], is_amount,
  'amount', ARGV[4], is_amount, 'tokens', ARGV[5], is_amount, 'now', ARGV[6], is_text, 'period' })
if refused then return refused end
local id, seq, amount, tokens, now, period =
  ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
if redis.call('EXISTS', ACCT) == 0 then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
expire_due(now, 64)

local h = load_hold(id)
if not h then return cjson.encode({ status = 'HOLD_NOT_FOUND', requestId = id }) end
if h.state ~= 'pending' then return hold_reply('HOLD_ALREADY_RESOLVED', id, h) end
local EXT_FIELD = id .. '|ext'
local applied = tonumber(redis.call('HGET', HOLDS, EXT_FIELD) or '0')
if seq <= applied then return hold_reply('REPLAY', id, h, { seq = int(applied) }) end
if tonumber(h.amount) + tonumber(amount) > MAX_EXACT then
  return cjson.encode({ status = 'AMOUNT_TOO_LARGE', requestId = id, amount = amount })
end

local key = h.key
if key ~= '' and not key_usable(key, now) then return cjson.encode({ status = 'KEY_INVALID' }) end
local refusal, available = take_budget(amount, tokens, key, period, now)
if refusal then return refusal end
h.amount = int(tonumber(h.amount) + tonumber(amount))
h.tokens = int(tonumber(h.tokens or '0') + tokens)
save_hold(id, h)
redis.call('HSET', HOLDS, EXT_FIELD, int(seq))
return hold_reply('OK', id, h, { seq = int(seq), available = int(available - tonumber(amount)) })
