-- post(requestId, actual, nowMs, recordJson, periodId, actualTokens): capture the actual charge against
-- a hold, release the rest (money and unused rate-limit tokens), and append exactly one usage record
-- in the same atomic step. A charge above the hold posts the hold and books the excess as flagged
-- overage; a post after the hold expired still records the usage (the site did the work), all of it
-- as flagged overage. The API key the hold was made with (if any) moves the same way. A repeat
-- returns the first result.
-- The common post (no API key, no token limit, no period to roll, no hold due to expire) runs on
-- core.lua alone; anything else goes through helpers() (helpers.lua), which also tells a batch
-- that the account snapshot is no longer current.
local bad = (not is_text(ARGV[1]) and 'requestId') or (not is_amount(ARGV[2]) and 'actual')
  or (not is_amount(ARGV[3]) and 'now') or (not is_text(ARGV[4]) and 'record')
  or (not is_text(ARGV[5]) and 'period') or (not is_amount(ARGV[6]) and 'actualTokens')
if bad then return invalid_argument(bad) end
local id, actual, now, record, period, actual_tokens =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
-- one read of the account for the overflow check, the period roll and the token bucket; the figures
-- are then written back in one HSET (the script is atomic: nothing moves them in between)
local acct = load_account() or { posted = '0', pending = '0', overage = '0' }
if tonumber(acct.overage) + tonumber(actual) > MAX_EXACT then
  return cjson.encode({ status = 'AMOUNT_TOO_LARGE', requestId = id, amount = actual })
end
local lib
if any_due(now) then
  lib = helpers()
  local _, released = lib.expire_due(now, 64)
  if released > 0 then acct.pending = int(tonumber(acct.pending) - released) end
end

local h = load_hold(id)
if not h then return cjson.encode({ status = 'HOLD_NOT_FOUND', requestId = id }) end
if h.state == 'posted' then return hold_reply('REPLAY', id, h) end
if h.state == 'voided' then return hold_reply('HOLD_ALREADY_RESOLVED', id, h) end

local key = h.key
if key ~= '' or tonumber(acct.tpm or '0') > 0 or (acct.mode == 'period' and acct.period ~= period) then
  lib = lib or helpers()
end
if lib then
  lib.roll_period(period, acct)
  lib.roll_key_period(key, period)
end
local flags = {}
local posted, overage
local figures = {}
if h.state == 'pending' then
  local a, held = tonumber(actual), tonumber(h.amount)
  posted = math.min(a, held)
  overage = a - posted
  figures = { 'pending', int(tonumber(acct.pending) - held) }
  redis.call('ZREM', EXPIRY, id)
  if overage > 0 then table.insert(flags, 'OVERAGE') end
  if lib then
    lib.key_pending(key, neg(h.amount))
    lib.refund_tokens(tonumber(h.tokens) - actual_tokens, now, key, acct)
  end
else -- expired
  posted, overage = 0, tonumber(actual)
  table.insert(flags, 'LATE_POST')
end

table.insert(figures, 'posted')
table.insert(figures, int(tonumber(acct.posted) + posted))
if overage > 0 then
  table.insert(figures, 'overage')
  table.insert(figures, int(tonumber(acct.overage) + overage))
end
redis.call('HSET', ACCT, unpack(figures))
-- the snapshot follows (the next operation of a batch reads it)
for i = 1, #figures, 2 do acct[figures[i]] = figures[i + 1] end
-- the key the hold was made with spends the same figures within the tenant's
if key ~= '' then
  redis.call('HINCRBY', KEYLEDGER, key .. '|posted', int(posted))
  if overage > 0 then redis.call('HINCRBY', KEYLEDGER, key .. '|overage', int(overage)) end
end
local entry = { 'req', id, 'record', record, 'posted', int(posted), 'overage', int(overage),
  'flags', table.concat(flags, ',') }
-- the record names the API key the request was made with (public id), as the hold does
if key ~= '' then table.insert(entry, 'apikey'); table.insert(entry, key) end
local record_id = redis.call('XADD', USAGE, '*', unpack(entry))
h.state, h.posted, h.overage, h.record_id = 'posted', int(posted), int(overage), record_id
save_hold(id, h)
redis.call('ZADD', RESOLVED, now, id)
return hold_reply('OK', id, h, { flags = flags })
