-- reserve(requestId, amount, expiresAtMs, nowMs, periodId, tokens, attempt, apiKeyId): hold `amount` if
-- budget − posted − pending − overage ≥ amount and the token-rate bucket has `tokens` — for the tenant
-- and, when the request comes with an API key, for the key too (key ⊂ tenant). Every check passes or
-- nothing changes. Idempotent by requestId: a repeat returns the hold as it stands, except that a hold
-- voided or expired (never posted) under another `attempt` (a new run of a failed request) is
-- re-opened as a new pending hold, through the same checks.
-- The common request (no API key, no token limit, no period to roll, no hold due to expire) runs on
-- core.lua alone; anything else goes through helpers() (helpers.lua), which also tells a batch
-- that the account snapshot is no longer current.
local bad = (not is_text(ARGV[1]) and 'requestId') or (not is_amount(ARGV[2]) and 'amount')
  or (not is_amount(ARGV[3]) and 'expiresAt') or (not is_amount(ARGV[4]) and 'now')
  or (not is_text(ARGV[5]) and 'period') or (not is_amount(ARGV[6]) and 'tokens')
  or (ARGV[8] and ARGV[8] ~= '' and not string.match(ARGV[8], '^[%w_-]+$') and 'apiKeyId')
if bad then return invalid_argument(bad) end
local id, amount, expires_at, now, period, tokens, attempt, key =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7] or '', ARGV[8] or ''
-- one read of the account serves the existence check, the period roll, the budget and the token bucket
local acct = load_account()
if not acct then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
local lib
if any_due(now) then
  lib = helpers()
  local _, released = lib.expire_due(now, 64)
  if released > 0 then acct.pending = int(tonumber(acct.pending) - released) end
end

local existing = load_hold(id)
-- the run that reserved a hold, beside it in the holds hash ('|' is not a request-id character)
local ATTEMPT_FIELD = id .. '|attempt'
if existing then
  local reopen = attempt ~= '' and (existing.state == 'voided' or existing.state == 'expired')
    and redis.call('HGET', HOLDS, ATTEMPT_FIELD) ~= attempt
  if not reopen then return hold_reply('REPLAY', id, existing) end
end

local available
if key == '' and tonumber(acct.tpm or '0') <= 0 and (acct.mode ~= 'period' or acct.period == period) then
  -- nothing but the tenant's budget to check (take_budget would come to the same)
  local over
  over, available = budget_refusal(amount, acct)
  if over then return over end
  draw_pending(amount, acct)
else
  lib = lib or helpers()
  if key ~= '' and not lib.key_usable(key, now) then return cjson.encode({ status = 'KEY_INVALID' }) end
  local refusal
  refusal, available = lib.take_budget(amount, tokens, key, period, now, acct)
  if refusal then return refusal end
end
local h = { state = 'pending', amount = amount, expires_at = expires_at, posted = '0', overage = '0',
            record_id = '', tokens = int(tokens), key = key }
-- the hold and the run that made it, in one write
if attempt ~= '' then save_hold(id, h, ATTEMPT_FIELD, attempt) else save_hold(id, h) end
-- a re-opened hold starts without the extensions of the run before (extend.lua); a new one has none
-- (a hold's extensions are pruned with it)
if existing then redis.call('HDEL', HOLDS, id .. '|ext') end
redis.call('ZADD', EXPIRY, expires_at, id)
-- a hold reserved already due is due for the batch's next operation too
if batch and tonumber(expires_at) <= now then batch.none_due = false end
return hold_reply('OK', id, h, { available = int(available - tonumber(amount)) })
