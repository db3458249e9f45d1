-- batch(nowMs, periodId, count, operations…): several reserves and posts of one tenant in one call
-- (group commit, ledger-batch.ts). Each operation is `R requestId amount expiresAt tokens attempt
-- apiKeyId` or `P requestId actual record actualTokens`; all run at the batch's `now` and `period`,
-- one after the other, each exactly as its own call would (reserve.lua, post.lua, the same checks
-- and the same answer), so a batch is the same as those calls made back to back. What it saves is
-- the per-call cost: one function call, one account read and one due-hold check for the batch.
-- An operation that fails (a Redis error) answers SCRIPT_ERROR and the rest still run, as separate
-- calls would; the shared snapshot is dropped after it, since the failure may have cut it short.
local ARITY = { R = 6, P = 4 }

local function run_batch(keys, args)
  local now, period, count = args[1], args[2], tonumber(args[3])
  -- the batch's shape before anything runs: a malformed batch changes nothing
  if not count or count < 1 or count > 256 then return redis.error_reply('ERR malformed ledger batch') end
  local ops, at = {}, 4
  for i = 1, count do
    local arity = ARITY[args[at]]
    if not arity or at + arity > #args then return redis.error_reply('ERR malformed ledger batch') end
    ops[i] = at
    at = at + arity + 1
  end
  if at ~= #args + 1 then return redis.error_reply('ERR malformed ledger batch') end

  batch = { acct = nil, none_due = false }
  local replies = {}
  for i = 1, count do
    local a = ops[i]
    local run
    if args[a] == 'R' then
      bind(keys, { args[a + 1], args[a + 2], args[a + 3], now, period, args[a + 4], args[a + 5], args[a + 6] })
      run = reserve
    else
      bind(keys, { args[a + 1], args[a + 2], now, args[a + 3], period, args[a + 4] })
      run = post
    end
    local ok, reply = pcall(run)
    if not ok then
      batch.acct, batch.none_due = nil, false
      local message = type(reply) == 'table' and reply.err or tostring(reply)
      reply = cjson.encode({ status = 'SCRIPT_ERROR', message = message })
    end
    replies[i] = reply
  end
  batch = nil
  return replies
end
