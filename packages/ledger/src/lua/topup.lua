-- topup(topUpId, amount): add credit to the budget, once per topUpId.
local id, amount = ARGV[1], ARGV[2]
if redis.call('EXISTS', ACCT) == 0 then return cjson.encode({ status = 'UNKNOWN_TENANT' }) end
if redis.call('HSETNX', TOPUPS, id, amount) == 0 then
  return cjson.encode({ status = 'REPLAY', amount = redis.call('HGET', TOPUPS, id),
                        budget = redis.call('HGET', ACCT, 'budget') })
end
return cjson.encode({ status = 'OK', amount = amount, budget = int(redis.call('HINCRBY', ACCT, 'budget', amount)) })
