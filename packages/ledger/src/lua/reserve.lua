-- reserve(requestId, amount, expiresAtMs, nowMs, periodId, tokens, attempt): hold `amount` if
-- budget − posted − pending − overage ≥ amount and the token-rate bucket has `tokens`. Both checks
-- pass or nothing changes. Idempotent by requestId: a repeat returns the hold as it stands, except
-- that a hold voided or expired (never posted) under another `attempt` (a new run of a failed
-- request) is re-opened as a new pending hold, through the same checks.
local refused = invalid({ ARGV[1], is_text, 'requestId', ARGV[2], is_amount, 'amount', ARGV[3], is_amount,
  'expiresAt', ARGV[4], is_amount, 'now', ARGV[5], is_text, 'period', ARGV[6], is_amount, 'tokens' })
if refused then return refused end
local id, amount, expires_at, now, period, tokens, attempt =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7] or ''
if redis.call('EXISTS', ACCT) == 0 then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
expire_due(now, 64)

local existing = load_hold(id)
-- the run that reserved a hold, beside it in the holds hash ('|' is not a request-id character)
local ATTEMPT_FIELD = id .. '|attempt'
if existing then
  local reopen = attempt ~= '' and (existing.state == 'voided' or existing.state == 'expired')
    and redis.call('HGET', HOLDS, ATTEMPT_FIELD) ~= attempt
  if not reopen then return hold_reply('REPLAY', id, existing) end
end

roll_period(period)
local available = available_now()
if tonumber(amount) > available then
  return cjson.encode({ status = 'BUDGET_EXCEEDED', available = int(available), amount = amount })
end

local b = bucket(now)
if b then
  if tokens > b.tpm then
    return cjson.encode({ status = 'RATE_LIMITED', retryAfterMs = -1, tpm = b.tpm, tokens = tokens })
  end
  if tokens > b.avail then
    return cjson.encode({ status = 'RATE_LIMITED', retryAfterMs = math.ceil((tokens - b.avail) * 60000 / b.tpm),
                          tpm = b.tpm, tokens = tokens })
  end
  b.avail = b.avail - tokens
  save_bucket(b, now)
end

redis.call('HINCRBY', ACCT, 'pending', amount)
local h = { state = 'pending', amount = amount, expires_at = expires_at, posted = '0', overage = '0',
            record_id = '', tokens = int(tokens) }
save_hold(id, h)
if attempt ~= '' then redis.call('HSET', HOLDS, ATTEMPT_FIELD, attempt) end
redis.call('ZADD', EXPIRY, expires_at, id)
return hold_reply('OK', id, h, { available = int(available - tonumber(amount)) })
