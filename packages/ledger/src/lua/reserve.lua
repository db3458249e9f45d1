-- reserve(requestId, amount, expiresAtMs, nowMs, periodId, tokens, attempt, apiKeyId): hold `amount` if
-- budget − posted − pending − overage ≥ amount and the token-rate bucket has `tokens` — for the tenant
-- and, when the request comes with an API key, for the key too (key ⊂ tenant). Every check passes or
-- nothing changes. Idempotent by requestId: a repeat returns the hold as it stands, except that a hold
-- voided or expired (never posted) under another `attempt` (a new run of a failed request) is
-- re-opened as a new pending hold, through the same checks.
local refused = invalid({ ARGV[1], is_text, 'requestId', ARGV[2], is_amount, 'amount', ARGV[3], is_amount,
  'expiresAt', ARGV[4], is_amount, 'now', ARGV[5], is_text, 'period', ARGV[6], is_amount, 'tokens' })
if refused then return refused end
if ARGV[8] and ARGV[8] ~= '' and not string.match(ARGV[8], '^[%w_-]+$') then
  return cjson.encode({ status = 'INVALID_ARGUMENT', argument = 'apiKeyId' })
end
local id, amount, expires_at, now, period, tokens, attempt, key =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7] or '', ARGV[8] or ''
-- one read of the account serves the existence check, the period roll, the budget and the token bucket
local acct = load_account()
if not acct then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
local _, released = expire_due(now, 64)
if released > 0 then acct.pending = int(tonumber(acct.pending) - released) end

local existing = load_hold(id)
-- the run that reserved a hold, beside it in the holds hash ('|' is not a request-id character)
local ATTEMPT_FIELD = id .. '|attempt'
if existing then
  local reopen = attempt ~= '' and (existing.state == 'voided' or existing.state == 'expired')
    and redis.call('HGET', HOLDS, ATTEMPT_FIELD) ~= attempt
  if not reopen then return hold_reply('REPLAY', id, existing) end
end

if key ~= '' and not key_usable(key, now) then return cjson.encode({ status = 'KEY_INVALID' }) end

local refusal, available = take_budget(amount, tokens, key, period, now, acct)
if refusal then return refusal end
local h = { state = 'pending', amount = amount, expires_at = expires_at, posted = '0', overage = '0',
            record_id = '', tokens = int(tokens), key = key }
-- the hold and the run that made it, in one write
if attempt ~= '' then save_hold(id, h, ATTEMPT_FIELD, attempt) else save_hold(id, h) end
-- a re-opened hold starts without the extensions of the run before (extend.lua); a new one has none
-- (a hold's extensions are pruned with it)
if existing then redis.call('HDEL', HOLDS, id .. '|ext') end
redis.call('ZADD', EXPIRY, expires_at, id)
return hold_reply('OK', id, h, { available = int(available - tonumber(amount)) })
