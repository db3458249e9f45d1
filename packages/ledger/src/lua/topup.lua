-- topup(topUpId, amount): add credit to the budget, once per topUpId. Everything is checked before
-- the id is recorded: a recorded id whose credit failed to apply would lose the payment for good.
local refused = invalid({ ARGV[1], is_text, 'topUpId', ARGV[2], is_amount, 'amount' })
if refused then return refused end
local id, amount = ARGV[1], ARGV[2]
if redis.call('EXISTS', ACCT) == 0 then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
local previous = redis.call('HGET', TOPUPS, id)
if previous then
  return cjson.encode({ status = 'REPLAY', amount = previous, budget = redis.call('HGET', ACCT, 'budget') })
end
local budget = tonumber(redis.call('HGET', ACCT, 'budget'))
if budget + tonumber(amount) > MAX_EXACT then
  return cjson.encode({ status = 'AMOUNT_TOO_LARGE', budget = int(budget), amount = amount })
end
redis.call('HSET', TOPUPS, id, amount)
return cjson.encode({ status = 'OK', amount = amount, budget = int(redis.call('HINCRBY', ACCT, 'budget', amount)) })
