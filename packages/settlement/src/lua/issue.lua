-- issue(statementId, jws, lifecycle, score): store an issued statement, its initial lifecycle, both
-- parties' index entries and its lines' record references in one atomic, write-once step.
-- KEYS: statements, lifecycle, by-operator A, by-operator B, then (staging, final) per line.
-- The references were staged under per-run keys beforehand (too many for one call's arguments);
-- the first run renames its staging keys into place, every later run drops its own.
local id, jws, lifecycle, score = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local existing = redis.call('HGET', KEYS[1], id)
if existing then
  for i = 5, #KEYS, 2 do redis.call('DEL', KEYS[i]) end
  return { 0, existing }
end
redis.call('HSET', KEYS[1], id, jws)
redis.call('HSET', KEYS[2], id, lifecycle)
redis.call('ZADD', KEYS[3], score, id)
redis.call('ZADD', KEYS[4], score, id)
for i = 5, #KEYS, 2 do
  redis.call('DEL', KEYS[i + 1])
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 1])
    -- staging keys expire (a crashed run leaves nothing behind); issued references never do
    redis.call('PERSIST', KEYS[i + 1])
  end
end
return { 1, jws }
