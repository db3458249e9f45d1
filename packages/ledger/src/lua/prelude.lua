-- Shared by every ledger script. KEYS[1] = account hash, KEYS[2] = holds hash, KEYS[3] = expiry zset,
-- all in the tenant's hash slot ({t:<tenant>}). Amounts stay decimal strings wherever they are
-- stored, because Lua numbers are doubles and tostring() prints only 14 significant digits.
local ACCT, HOLDS, EXPIRY = KEYS[1], KEYS[2], KEYS[3]

local function int(x) return string.format('%.0f', x) end
-- '-0' is not an integer to HINCRBY
local function neg(amount) if tonumber(amount) == 0 then return '0' end return '-' .. amount end

local function load_hold(id)
  local raw = redis.call('HGET', HOLDS, id)
  if not raw then return nil end
  local state, amount, expires_at, posted, overage, record_id =
    string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return { state = state, amount = amount, expires_at = expires_at, posted = posted, overage = overage,
           record_id = record_id }
end

local function save_hold(id, h)
  redis.call('HSET', HOLDS, id,
    h.state .. '|' .. h.amount .. '|' .. h.expires_at .. '|' .. h.posted .. '|' .. h.overage .. '|' .. h.record_id)
end

-- Lazily expire holds whose time has passed, returning their amounts to the budget. Bounded per
-- call so one operation never stalls the shard; the periodic sweep catches up on the rest.
local function expire_due(now, limit)
  local due = redis.call('ZRANGEBYSCORE', EXPIRY, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    local h = load_hold(id)
    if h and h.state == 'pending' then
      h.state = 'expired'
      redis.call('HINCRBY', ACCT, 'pending', neg(h.amount))
      save_hold(id, h)
    end
    redis.call('ZREM', EXPIRY, id)
  end
  return #due
end

local function hold_reply(status, id, h, extra)
  local r = { status = status, requestId = id, state = h.state, amount = h.amount, expiresAt = h.expires_at,
              posted = h.posted, overage = h.overage, recordId = h.record_id }
  if extra then for k, v in pairs(extra) do r[k] = v end end
  return cjson.encode(r)
end
