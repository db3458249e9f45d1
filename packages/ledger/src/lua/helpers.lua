-- The rest of the ledger's Lua: token buckets, API keys, period rolls, expiry, pruning and the budget
-- draw. Reserve and post, whose common request needs none of it, reach it through `helpers()`
-- (ledger-scripts.ts), which drops a batch's account snapshot: these functions write figures
-- (the token buckets) the snapshot does not follow.
-- Token-rate limit: a bucket of `tpm` tokens refilled continuously over a minute. The tenant's bucket
-- sits in ACCT (prefix ''), an API key's in KEYLEDGER (prefix '<keyId>|').
local function bucket_from(hash, prefix, tpm, avail, ts, now)
  tpm = tonumber(tpm or '0')
  if tpm <= 0 then return nil end
  avail = tonumber(avail or tpm)
  ts = tonumber(ts or now)
  return { hash = hash, prefix = prefix, tpm = tpm,
           avail = math.min(tpm, avail + math.max(0, now - ts) * tpm / 60000) }
end

local function bucket_in(hash, prefix, now)
  local tpm, avail, ts = unpack(redis.call('HMGET', hash, prefix .. 'tpm', prefix .. 'tpm_avail', prefix .. 'tpm_ts'))
  return bucket_from(hash, prefix, tpm or nil, avail or nil, ts or nil, now)
end

local function save_bucket(b, now)
  redis.call('HSET', b.hash, b.prefix .. 'tpm_avail', string.format('%.6f', b.avail), b.prefix .. 'tpm_ts', int(now))
end

-- the tenant's bucket, from the account snapshot when the script has one
local function bucket(now, acct)
  if not acct then return bucket_in(ACCT, '', now) end
  return bucket_from(ACCT, '', acct.tpm, acct.tpm_avail, acct.tpm_ts, now)
end
local function key_bucket(key, now) return bucket_in(KEYLEDGER, key .. '|', now) end

local function refund_to(b, tokens, now)
  if b and tokens > 0 then
    b.avail = math.min(b.tpm, b.avail + tokens)
    save_bucket(b, now)
  end
end

-- unused rate-limit tokens go back to the tenant's bucket and to the key's the hold was made with
local function refund_tokens(tokens, now, key, acct)
  refund_to(bucket(now, acct), tokens, now)
  if key and key ~= '' then refund_to(key_bucket(key, now), tokens, now) end
end

-- A key's pending figure moves with its holds'.
local function key_pending(key, delta)
  if key and key ~= '' then redis.call('HINCRBY', KEYLEDGER, key .. '|pending', delta) end
end

-- A key's budget is per billing period whatever the tenant's mode: its figures restart with the period.
local function roll_key_period(key, period)
  if not key or key == '' then return end
  if redis.call('HGET', KEYLEDGER, key .. '|period') == period then return end
  redis.call('HSET', KEYLEDGER, key .. '|period', period, key .. '|posted', '0', key .. '|overage', '0')
end

-- budget − posted − pending − overage of a key, or nil when the key has no budget of its own
local function key_available(key)
  local budget, posted, pending, overage = unpack(redis.call('HMGET', KEYLEDGER, key .. '|budget',
    key .. '|posted', key .. '|pending', key .. '|overage'))
  if not budget or budget == '' then return nil end
  return tonumber(budget) - tonumber(posted or '0') - tonumber(pending or '0') - tonumber(overage or '0')
end

-- a key may hold only while active and unexpired (revocation reaches the ledger at once, whatever
-- the API's authentication cache still says)
local function key_usable(key, now)
  local state, expires = unpack(redis.call('HMGET', KEYLEDGER, key .. '|state', key .. '|expires'))
  if state ~= 'active' then return false end
  return not expires or expires == '' or tonumber(expires) > now
end

-- A period budget restarts at the period boundary: the closed period's totals are kept in PERIODS.
-- Holds still pending carry over and are posted into the period they complete in.
-- `acct`: the script's account snapshot (load_account), kept current; absent, the account is read.
local function roll_period(period, acct)
  acct = acct or load_account()
  if not acct or acct.mode ~= 'period' or acct.period == period then return end
  if acct.period then
    redis.call('HSETNX', PERIODS, acct.period, acct.posted .. '|' .. acct.overage)
  end
  redis.call('HSET', ACCT, 'period', period, 'posted', '0', 'overage', '0')
  acct.period, acct.posted, acct.overage = period, '0', '0'
end

-- Lazily expire holds whose time has passed, returning their amounts to the budget. Bounded per
-- call so one operation never stalls the shard; the periodic sweep catches up on the rest.
-- Returns how many holds it looked at and the money it released (to keep a snapshot current).
local function expire_due(now, limit)
  local due = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, limit)
  local released = 0
  for _, id in ipairs(due) do
    local h = load_hold(id)
    if h and h.state == 'pending' then
      h.state = 'expired'
      released = released + tonumber(h.amount)
      redis.call('HINCRBY', ACCT, 'pending', neg(h.amount))
      key_pending(h.key, neg(h.amount))
      save_hold(id, h)
      redis.call('ZADD', RESOLVED, now, id)
    end
    redis.call('ZREM', EXPIRY, id)
  end
  return #due, released
end

-- A hold stays (for idempotent replays) until `replay_window` ms after it was resolved, then goes.
-- A hold that is pending again (re-opened for a new attempt) is only taken off the list.
local function prune_resolved(now, replay_window, limit)
  local due = redis.call('ZRANGEBYSCORE', RESOLVED, '-inf', now - replay_window, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    local h = load_hold(id)
    -- the hold, the run that reserved it (reserve.lua) and its last extension (extend.lua) go together
    if h and h.state ~= 'pending' then redis.call('HDEL', HOLDS, id, id .. '|attempt', id .. '|ext') end
    redis.call('ZREM', RESOLVED, id)
  end
  return #due
end


-- What a new hold (reserve.lua) and a hold's next slice (extend.lua) both take, checked as one:
-- the tenant's budget, the API key's (key ⊂ tenant), then both token buckets; every check passes
-- before anything is drawn, or nothing changes. Returns a refusal (an encoded reply), or nil and
-- the tenant's availability before the draw.
local function take_budget(amount, tokens, key, period, now, acct)
  acct = acct or load_account()
  roll_period(period, acct)
  local over, available = budget_refusal(amount, acct)
  if over then return over end
  if key ~= '' then
    roll_key_period(key, period)
    local key_left = key_available(key)
    if key_left and tonumber(amount) > key_left then
      return cjson.encode({ status = 'KEY_BUDGET_EXCEEDED', available = int(key_left), amount = amount })
    end
  end
  local function rate_refusal(b, status)
    if not b then return nil end
    if tokens > b.tpm then
      return cjson.encode({ status = status, retryAfterMs = -1, tpm = b.tpm, tokens = tokens })
    end
    if tokens > b.avail then
      return cjson.encode({ status = status, retryAfterMs = math.ceil((tokens - b.avail) * 60000 / b.tpm),
                            tpm = b.tpm, tokens = tokens })
    end
    return nil
  end
  local b = bucket(now, acct)
  local kb = key ~= '' and key_bucket(key, now) or nil
  local limited = rate_refusal(b, 'RATE_LIMITED') or rate_refusal(kb, 'KEY_RATE_LIMITED')
  if limited then return limited end
  for _, bk in ipairs({ b or false, kb or false }) do
    if bk then
      bk.avail = bk.avail - tokens
      save_bucket(bk, now)
    end
  end
  draw_pending(amount, acct)
  key_pending(key, amount)
  return nil, available
end
