-- The start of every ledger script (ledger-scripts.ts puts helpers.lua after it): the keys, the argument
-- checks and the hold and account reads every script needs. All keys live in the tenant's hash slot
-- ({t:<tenant>}):
--   KEYS[1] account hash   budget, posted, pending, overage, mode, period, tpm, tpm_avail, tpm_ts
--   KEYS[2] holds hash     requestId -> state|amount|expiresAt|posted|overage|recordId|tokens
--   KEYS[3] expiry zset    pending requestIds by expiry time
--   KEYS[4] usage stream   one entry per posted request
--   KEYS[5] periods hash   closed budget periods: periodId -> posted|overage
--   KEYS[6] top-ups hash   topUpId -> amount
--   KEYS[7] resolved zset  posted, voided and expired requestIds by resolution time (for pruning)
--   KEYS[8] key ledger     per API key, fields '<keyId>|<name>': state, expires, budget, posted, pending,
--                          overage, period, tpm, tpm_avail, tpm_ts (a key's limits sit inside its tenant's)
-- Money stays a decimal string wherever it is stored: Lua numbers are doubles and tostring() prints
-- only 14 significant digits. Arithmetic on doubles is exact below 2^53: the TS side enforces it and
-- every script checks it again (below) before its first write, since Redis does not roll back the
-- writes of a script that fails half-way.
-- The library is loaded once (FUNCTION LOAD) and its functions run one at a time, so the keys and
-- arguments of the call in progress sit in library-level locals that each entry point binds first
-- (`bind`); the operations below read them as a script reads its KEYS and ARGV.
local KEYS, ARGV
local ACCT, HOLDS, EXPIRY, USAGE, PERIODS, TOPUPS, RESOLVED, KEYLEDGER
local function bind(keys, args)
  KEYS, ARGV = keys, args
  ACCT, HOLDS, EXPIRY, USAGE, PERIODS, TOPUPS, RESOLVED, KEYLEDGER =
    keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[7], keys[8]
end

-- Group commit (batch.lua runs several reserves and posts of one tenant in one call): while a batch
-- runs, `batch` holds what its operations share. `acct`: the account snapshot, read by the first
-- operation and kept current by the common path's writes (draw_pending, post's figures); an
-- operation that leaves the common path (helpers()) drops it, since the helpers write figures the
-- snapshot does not follow (the token buckets), and the next operation reads the account again.
-- `none_due`: no hold was due at the batch's `now` when last looked (one ZRANGEBYSCORE per batch
-- instead of one per operation); a hold reserved already due clears it. Outside a batch: nil.
local batch = nil

-- 2^53 - 1: the largest integer a double (and so a Lua number) holds exactly
local MAX_EXACT = 9007199254740991

-- A non-negative integer in decimal digits, at most MAX_EXACT.
local function is_amount(v)
  return type(v) == 'string' and #v >= 1 and #v <= 16 and string.match(v, '^%d+$') ~= nil
    and tonumber(v) <= MAX_EXACT
end

local function is_text(v) return type(v) == 'string' and #v >= 1 end

local function invalid_argument(name) return cjson.encode({ status = 'INVALID_ARGUMENT', argument = name }) end

-- Checks pairs of (value, predicate, name); returns the refusal to send, or nil when all pass.
local function invalid(checks)
  for i = 1, #checks, 3 do
    if not checks[i + 1](checks[i]) then
      return invalid_argument(checks[i + 2])
    end
  end
  return nil
end

local function int(x) return string.format('%.0f', x) end
-- '-0' is not an integer to HINCRBY
local function neg(amount) if tonumber(amount) == 0 then return '0' end return '-' .. amount end

-- A hold: state|amount|expiresAt|posted|overage|recordId|tokens[|apiKeyId] (holds without a key, and
-- those stored before keys existed, have seven fields).
local function load_hold(id)
  local raw = redis.call('HGET', HOLDS, id)
  if not raw then return nil end
  local f = {}
  for part in string.gmatch(raw .. '|', '([^|]*)|') do f[#f + 1] = part end
  return { state = f[1], amount = f[2], expires_at = f[3], posted = f[4], overage = f[5],
           record_id = f[6], tokens = f[7], key = f[8] or '' }
end

-- `...`: more field/value pairs of HOLDS written in the same HSET (one write instead of two)
local function save_hold(id, h, ...)
  local fields = { h.state, h.amount, h.expires_at, h.posted, h.overage, h.record_id, h.tokens }
  if h.key and h.key ~= '' then fields[8] = h.key end
  redis.call('HSET', HOLDS, id, table.concat(fields, '|'), ...)
end

-- The tenant's account in one read: every figure reserve and post decide with. A script works on
-- this snapshot and keeps it current as it writes (roll_period, expire_due's release, take_budget),
-- so no figure is read twice; nil when the tenant has no account.
local function load_account()
  if batch and batch.acct then return batch.acct end
  local v = redis.call('HMGET', ACCT, 'budget', 'posted', 'pending', 'overage', 'mode', 'period', 'tpm',
    'tpm_avail', 'tpm_ts')
  if not v[1] then return nil end
  local acct = { budget = v[1], posted = v[2] or '0', pending = v[3] or '0', overage = v[4] or '0',
           mode = v[5] or nil, period = v[6] or nil, tpm = v[7] or nil, tpm_avail = v[8] or nil,
           tpm_ts = v[9] or nil }
  if batch then batch.acct = acct end
  return acct
end

-- Is any pending hold due to expire at `now`? (reserve and post expire due holds first)
local function any_due(now)
  if batch and batch.none_due then return false end
  local due = #redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, 1) > 0
  if batch then batch.none_due = not due end
  return due
end

-- budget − posted − pending − overage: overage (work a site did beyond its hold) uses up the budget
-- too, so a budget is a hard cap for new holds
local function available_now(acct)
  return tonumber(acct.budget) - tonumber(acct.posted) - tonumber(acct.pending) - tonumber(acct.overage)
end

-- The tenant's budget check of a new hold or slice: a refusal, or nil and what is available before it.
local function budget_refusal(amount, acct)
  local available = available_now(acct)
  if tonumber(amount) > available then
    return cjson.encode({ status = 'BUDGET_EXCEEDED', available = int(available), amount = amount })
  end
  return nil, available
end

-- Hold `amount` more (every check passed), keeping the snapshot current.
local function draw_pending(amount, acct)
  redis.call('HINCRBY', ACCT, 'pending', amount)
  acct.pending = int(tonumber(acct.pending) + tonumber(amount))
end

-- A hold's answer, compact (it is on every reserve's and post's path; decoded by reply.ts):
-- status|state|amount|expiresAt|posted|overage|recordId|tokens|apiKeyId|available|flags|seq, the
-- last three from `extra` (flags comma-separated). Refusals without a hold stay JSON objects.
local function hold_reply(status, id, h, extra)
  extra = extra or {}
  return table.concat({ status, h.state, h.amount, h.expires_at, h.posted, h.overage, h.record_id or '',
    h.tokens or '', h.key or '', extra.available or '', table.concat(extra.flags or {}, ','), extra.seq or '' },
    '|')
end
